"""A real browser's ``EventSource`` against the extension (headless Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import browser_page
from tests.test_stream_api import TRICKY_TOKENS

pytestmark = pytest.mark.browser


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    return {"retry_ms": 100}  # reconnect quickly after the dropped connection


LOGIN_AND_FOLLOW = """
async ({base, body, withXsrf}) => {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("_xsrf="));
  const xsrf = cookie ? decodeURIComponent(cookie.slice(6)) : "";
  const post = (headers) => fetch(base + "lcsse/api/runs", {
    method: "POST", credentials: "same-origin", headers, body: JSON.stringify(body),
  });
  const refused = await post({"Content-Type": "application/json"});
  const created = await post({"Content-Type": "application/json", "X-XSRFToken": xsrf});
  const run = await created.json();
  const seen = await new Promise((resolve, reject) => {
    const source = new EventSource(run.events_url);
    const messages = [];
    let errors = 0;
    source.onmessage = (e) => messages.push({data: e.data, id: e.lastEventId});
    source.onerror = () => { errors += 1; };
    source.addEventListener("end", (e) => {
      source.close();
      resolve({messages, errors, end: JSON.parse(e.data)});
    });
    setTimeout(() => { source.close(); reject(new Error("no end event in 20 s")); }, 20000);
  });
  return {refused: refused.status, created: created.status, ...seen};
}
"""


async def _login(page: Any, server_url: str, token: str) -> None:
    """Cookies as a JupyterLab tab has them, on an HTML page of the server's origin.

    The page is Jupyter's 404 page: API pages carry ``default-src 'none'``, which would
    forbid the page's own ``fetch``.
    """
    await page.goto(server_url + "login")  # sets the _xsrf cookie, as Jupyter's pages do
    response = await page.goto(f"{server_url}lcsse-test-page?token={token}")  # login cookie
    assert response.status == 404
    cookies = {c["name"] for c in await page.context.cookies()}
    assert "_xsrf" in cookies


async def test_eventsource_when_tokens_have_line_breaks_then_exact_text_in_chromium(
    server_url: str, jp_serverapp: Any
) -> None:
    async with browser_page() as page:
        await _login(page, server_url, jp_serverapp.identity_provider.token)
        result = await page.evaluate(
            LOGIN_AND_FOLLOW,
            {"base": server_url, "body": {"chain": "echo", "input": {"tokens": TRICKY_TOKENS}}},
        )
    assert result["refused"] == 403  # Jupyter's XSRF rule holds for a cookie-authenticated POST
    assert result["created"] == 201
    expected = [t.replace("\r\n", "\n").replace("\r", "\n") for t in TRICKY_TOKENS]
    assert [m["data"] for m in result["messages"]] == expected
    assert [m["id"] for m in result["messages"]] == [str(i) for i in range(1, 11)]
    assert result["end"]["reason"] == "complete"


async def test_eventsource_when_server_drops_connection_then_resumes_with_last_event_id(
    server_url: str, jp_serverapp: Any, drop_first_stream: list[int]
) -> None:
    tokens = [f"t{i} " for i in range(20)]
    async with browser_page() as page:
        await _login(page, server_url, jp_serverapp.identity_provider.token)
        result = await page.evaluate(
            LOGIN_AND_FOLLOW,
            {
                "base": server_url,
                "body": {"chain": "echo", "input": {"tokens": tokens, "delay": 0.02}},
            },
        )
    assert drop_first_stream == [4]
    assert result["errors"] >= 1  # the drop was seen, and EventSource reconnected by itself
    assert "".join(m["data"] for m in result["messages"]) == "".join(tokens)
    assert [m["id"] for m in result["messages"]] == [str(i) for i in range(1, 21)]
