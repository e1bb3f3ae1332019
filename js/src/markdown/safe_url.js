// Which link addresses of a model's answer may become an href: http:, https:, mailto:,
// and addresses without a scheme (relative paths, `#fragments`, `//host/...`). Anything
// else (`javascript:`, `data:`, `vbscript:`, `file:`, a scheme we do not know) is
// refused, and the link stays text.
//
// markdown-it asks `validateLink` after it decoded entities (`&#106;avascript:`) and
// percent-encoded the address, so what reaches this check is close to what the browser
// would see. The browser's URL parser also drops leading and trailing C0 controls and
// spaces, and ASCII tabs and newlines anywhere (`java\tscript:` is `javascript:`); the
// check does the same before it reads the scheme, and the href it returns is that
// cleaned address.

const ALLOWED_SCHEMES = new Set(["http", "https", "mailto"]);

/** The address to use as an href, or null when it must not be one. */
export function safeUrl(url) {
  if (typeof url !== "string") return null;
  // eslint-disable-next-line no-control-regex
  const cleaned = url.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
  // A colon before any "/", "?" or "#" ends a scheme (or something that might be read
  // as one): only the allowed ones pass, spelled as a scheme must be.
  const scheme = /^([^/?#]*):/.exec(cleaned);
  if (!scheme) return cleaned;
  const name = scheme[1];
  return /^[a-z][a-z0-9+.-]*$/i.test(name) && ALLOWED_SCHEMES.has(name.toLowerCase()) ? cleaned : null;
}
