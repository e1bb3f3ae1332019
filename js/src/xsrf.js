// Jupyter's XSRF token for this page. Every request sends it as `X-XSRFToken`, GETs
// included: JupyterHub's single-user servers treat a cookie-authenticated request
// without it as anonymous (403). A native EventSource cannot set headers; it would
// need `?_xsrf=` in its URL instead.

/** Jupyter's XSRF token: the `_xsrf` cookie, as JupyterLab's own requests send it. */
export function xsrfToken() {
  const cookie = (document.cookie || "").split(/;\s*/).find((c) => c.startsWith("_xsrf="));
  return cookie ? decodeURIComponent(cookie.slice(6)) : "";
}
