// Small helpers for values that come from the wire or the model: never trust a shape,
// never throw, never show "[object Object]".

/** A plain object (not null, not an array). */
export function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** JSON.parse that never throws: undefined when the payload is not JSON. */
export function parseJSON(text) {
  try {
    return JSON.parse(text);
  } catch (_) {
    return undefined;
  }
}

/** A value as text: strings as they are, anything else as JSON (never "[object Object]"). */
export function asText(value) {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (_) {
    return String(value);
  }
}
