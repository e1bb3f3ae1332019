// The Jupyter server's base URL on this page: from `jupyter-config-data` (JupyterLab,
// Notebook 7), then a `data-base-url` attribute (classic pages), then "/".

export function baseUrl(el) {
  const config = document.getElementById("jupyter-config-data");
  if (config) {
    try {
      const data = JSON.parse(config.textContent);
      if (data.baseUrl) return data.baseUrl.endsWith("/") ? data.baseUrl : `${data.baseUrl}/`;
    } catch (_) {
      /* fall through */
    }
  }
  const attr = el?.closest?.("[data-base-url]")?.getAttribute("data-base-url")
    ?? document.body?.getAttribute("data-base-url");
  if (attr) return attr.endsWith("/") ? attr : `${attr}/`;
  return "/";
}
