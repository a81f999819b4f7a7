// AWS Signature Version 4 for the operator API (service execute-api), with the browser's WebCrypto.
// The deployed console signs every call with the temporary credentials of the Cognito identity pool,
// as the CLI signs with botocore; a test signs the same requests with botocore and compares.
// Steps and names follow AWS's "Create a signed AWS API request" (canonical request, string to sign,
// signing key); only what API Gateway needs: the headers given, the payload hashed, no chunking.
const ALGORITHM = "AWS4-HMAC-SHA256";
const encoder = new TextEncoder();

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256Hex(data) {
  return hex(await crypto.subtle.digest("SHA-256", typeof data === "string" ? encoder.encode(data) : data));
}

async function hmac(key, text) {
  const imported = await crypto.subtle.importKey("raw", typeof key === "string" ? encoder.encode(key) : key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", imported, encoder.encode(text));
}

// RFC 3986: everything but unreserved characters is percent-encoded (encodeURIComponent leaves !'()*).
export function rfc3986(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a lone % stays as it is, and is encoded as %25 below
  }
}

// The URL as it is sent and signed: path segments and query pairs in RFC 3986 form, so the server's
// canonical form (and botocore's, which takes the query as sent) is the one signed here.
export function canonicalUrl(url) {
  const parsed = new URL(url);
  const path = parsed.pathname.split("/").map((segment) => rfc3986(decode(segment))).join("/");
  const pairs = parsed.search
    .slice(1)
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const at = pair.indexOf("=");
      const [key, value] = at < 0 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)];
      return [rfc3986(decode(key.replace(/\+/g, " "))), rfc3986(decode(value.replace(/\+/g, " ")))];
    });
  const query = pairs.map(([k, v]) => `${k}=${v}`).join("&");
  return { origin: parsed.origin, host: parsed.host, path, pairs, href: `${parsed.origin}${path}${query ? `?${query}` : ""}` };
}

function amzDate(date) {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function byCodePoint(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Signs one request. credentials: {AccessKeyId, SecretKey, SessionToken?}. Returns the URL to fetch
// (canonical form) and the headers to send: the given ones plus X-Amz-Date, X-Amz-Security-Token
// and Authorization. Every given header is signed, and Host (the browser sends it from the URL).
export async function sign({ method, url, headers = {}, body = "", credentials, region, service = "execute-api", date = new Date() }) {
  const target = canonicalUrl(url);
  const stamp = amzDate(date);
  const day = stamp.slice(0, 8);
  const sent = { ...headers, "X-Amz-Date": stamp };
  if (credentials.SessionToken) sent["X-Amz-Security-Token"] = credentials.SessionToken;
  const signed = Object.entries({ ...sent, host: target.host }).map(([name, value]) => [name.toLowerCase(), String(value).trim().replace(/\s+/g, " ")]);
  signed.sort(([a], [b]) => byCodePoint(a, b));
  const signedHeaders = signed.map(([name]) => name).join(";");
  const canonicalQuery = [...target.pairs].sort(([ka, va], [kb, vb]) => byCodePoint(ka, kb) || byCodePoint(va, vb)).map(([k, v]) => `${k}=${v}`).join("&");
  // Every service but S3 encodes the (already encoded) path once more.
  const canonicalPath = target.path.split("/").map(rfc3986).join("/") || "/";
  const canonicalRequest = [
    method.toUpperCase(),
    canonicalPath,
    canonicalQuery,
    signed.map(([name, value]) => `${name}:${value}\n`).join(""),
    signedHeaders,
    await sha256Hex(body || ""),
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, stamp, scope, await sha256Hex(canonicalRequest)].join("\n");
  let key = await hmac(`AWS4${credentials.SecretKey}`, day);
  for (const part of [region, service, "aws4_request"]) key = await hmac(key, part);
  const signature = hex(await hmac(key, stringToSign));
  sent.Authorization = `${ALGORITHM} Credential=${credentials.AccessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { url: target.href, headers: sent };
}
