// What the personalization picker offers. The person attributes are the directory's (the list in
// pushgate.services.directory.person_attributes; a unit test keeps the two equal).
export const PERSON_ATTRIBUTES = [
  "firstname",
  "lastname",
  "fullname",
  "emailaddress1",
  "mobilephone",
  "telephone1",
  "address1_city",
  "locale",
  "timezone",
  "trackingconsent",
  "pushconsent",
  "customattributes",
];

// Placeholders the picker lists: the recipient's attributes (``lead.`` and ``profile.`` are the same
// source under other names), custom attributes by name, and the send's trigger data.
export function placeholders() {
  const simple = PERSON_ATTRIBUTES.filter((name) => name !== "customattributes");
  return [...simple.map((name) => `contact.${name}`), "contact.customattributes.<name>", "trigger.<name>"];
}

export function tagFor(path, fallback) {
  const quoted = fallback ? ` | default: "${fallback.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` : "";
  return `{{${path}${quoted}}}`;
}
