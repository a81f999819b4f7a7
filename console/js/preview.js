// Draws the iOS lock screen and the Android notification shade from the preview API's payloads:
// what APNs gets in aps.alert, and what the FCM data message carries (or its notification block).
import { h } from "./dom.js";

function image(url, className, alt) {
  return url && /^https:\/\//.test(url) ? h("img", { class: className, src: url, alt, referrerpolicy: "no-referrer" }) : null;
}

export function iosLockScreen(preview, appName) {
  const alert = preview?.Apns?.Payload?.aps?.alert || {};
  const data = preview?.Apns?.Payload?.data || {};
  return h(
    "figure",
    { class: "device ios", "aria-label": "iOS lock screen preview" },
    h("h3", {}, "iOS lock screen"),
    h("p", { class: "clock", "aria-hidden": "true" }, "9:41"),
    h("p", { class: "date", "aria-hidden": "true" }, "Thursday 3 December"),
    h(
      "div",
      { class: "notification", dataset: { testid: "ios-notification" } },
      h("div", { class: "app-row" }, h("span", {}, appName), h("span", {}, "now")),
      h("div", { class: "title", dataset: { testid: "ios-title" } }, alert.title || ""),
      alert.subtitle ? h("div", { class: "subtitle", dataset: { testid: "ios-subtitle" } }, alert.subtitle) : null,
      h("div", { class: "body", dataset: { testid: "ios-body" } }, alert.body || ""),
      image(data.imageUrl, "thumb", "Notification image (shown with a Notification Service Extension)"),
    ),
    bytes("APNs payload", preview?.Apns?.SizeBytes, preview?.Apns?.LimitBytes, "apns-bytes"),
  );
}

export function androidShade(preview, appName) {
  const message = preview?.Fcm?.Body?.message || {};
  const shown = { ...(message.data || {}), ...(message.android?.notification || message.notification || {}) };
  return h(
    "figure",
    { class: "device android", "aria-label": "Android notification shade preview" },
    h("h3", {}, "Android notification shade"),
    h("div", { class: "statusbar", "aria-hidden": "true" }, h("span", {}, "9:41"), h("span", {}, "▾ 100%")),
    h(
      "div",
      { class: "shade-notification", dataset: { testid: "android-notification" } },
      h("div", { class: "app-row" }, `${appName} · now`),
      h("div", { class: "title", dataset: { testid: "android-title" } }, shown.title || ""),
      h("div", { class: "body", dataset: { testid: "android-body" } }, shown.body || ""),
      image(shown.imageUrl || shown.image, "big-picture", "Notification image"),
    ),
    bytes("FCM message", preview?.Fcm?.MessageSizeBytes, preview?.Fcm?.LimitBytes, "fcm-bytes"),
  );
}

function bytes(label, size, limit, testid) {
  if (size === undefined) return h("p", { class: "bytes" }, `${label}: —`);
  return h(
    "div",
    { class: "bytes" },
    h("span", { dataset: { testid } }, `${label}: ${size} of ${limit} bytes`),
    h("meter", { min: 0, max: limit, low: limit * 0.75, high: limit * 0.97, optimum: 0, value: size, "aria-label": `${label} size` }),
  );
}
