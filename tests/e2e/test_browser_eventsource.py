"""A real browser's ``EventSource`` against the extension (headless Chromium)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth.identity import IdentityProvider, User
from tornado import web

from jupyter_lcsse.core.sse import parse
from tests.server.test_stream_api import TRICKY_TOKENS
from tests.support.browser import browser_page

pytestmark = pytest.mark.browser

DOCS_PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


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


class HubXsrfRuleIdentityProvider(IdentityProvider):
    """Jupyter's identity provider with JupyterHub's stricter XSRF rule for cookies.

    A JupyterHub single-user server (``jupyterhub/_xsrf_utils.py``) accepts the login
    cookie of a request that is not a page navigation (``Sec-Fetch-Mode`` other than
    ``navigate``: every ``fetch`` and ``EventSource``) only when it carries the
    ``_xsrf`` cookie's value, as ``X-XSRFToken`` or ``?_xsrf=``, GETs included;
    otherwise the request counts as not logged in. Plain jupyter_server checks XSRF on
    POST and DELETE only, which is how examples that broke on every hub passed here.
    ``tests/e2e/test_jupyterhub.py`` runs the real hub; this keeps the rule in the fast
    browser tests of the documented examples.
    """

    async def get_user(self, handler: web.RequestHandler) -> User | None:
        navigation = handler.request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"
        if not self.get_token(handler) and not navigation:
            try:
                web.RequestHandler.check_xsrf_cookie(handler)  # tornado's own check
            except web.HTTPError:
                return None  # the hub ignores the cookie: a 403 for our API handlers
        return await self._get_user(handler)


def _documented_browser_example() -> str:
    """The JavaScript block of docs/protocol.md's "From a browser page" section."""
    text = DOCS_PROTOCOL.read_text(encoding="utf-8")
    section = text.split("\n## From a browser page\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```js\n(.*?)```", section, re.DOTALL)
    assert match, "docs/protocol.md: no js block under 'From a browser page'"
    return match.group(1)


RUN_DOCUMENTED_EXAMPLE = """
async ({base, tokens}) => {
%s
  const chains = await listChains(base);
  const followed = [];
  const end = await followRun(base, "echo", {tokens}, (text) => followed.push(text));
  let raw = "";
  await streamChain(base, "echo", {tokens}, (text) => { raw += text; });

  // The same requests without the token, to show the rule is in force.
  const bareGet = await fetch(base + "lcsse/api/chains", {credentials: "same-origin"});
  const post = await fetch(base + "lcsse/api/runs", {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-XSRFToken": xsrfToken()},
    body: JSON.stringify({chain: "echo", input: {tokens}}),
  });
  const run = await post.json();
  const bareEventSource = await new Promise((resolve) => {
    const source = new EventSource(run.events_url);
    source.onmessage = () => { source.close(); resolve("streamed"); };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) resolve("refused");
    };
    setTimeout(() => { source.close(); resolve("no answer in 10 s"); }, 10000);
  });
  await fetch(run.events_url.replace(/\\/events$/, ""), {
    method: "DELETE", credentials: "same-origin", headers: {"X-XSRFToken": xsrfToken()},
  });
  return {
    names: chains.map((c) => c.name), followed, end, raw,
    bareGet: bareGet.status, bareEventSource,
  };
}
"""


class TestDocumentedExampleBehindHubXsrfRule:
    @pytest.fixture
    def lcsse_config(self) -> dict[str, Any]:
        return {"ServerApp": {"identity_provider_class": HubXsrfRuleIdentityProvider}}

    async def test_docs_browser_example_when_xsrf_required_on_gets_then_streams_in_chromium(
        self, server_url: str, jp_serverapp: Any
    ) -> None:
        assert isinstance(jp_serverapp.identity_provider, HubXsrfRuleIdentityProvider)
        tokens = ["one ", "two\n", "three"]
        async with browser_page() as page:
            await _login(page, server_url, jp_serverapp.identity_provider.token)
            result = await page.evaluate(
                RUN_DOCUMENTED_EXAMPLE % _documented_browser_example(),
                {"base": server_url, "tokens": tokens},
            )
        assert result["bareGet"] == 403  # the hub's rule: a cookie-only fetch GET is refused
        assert result["bareEventSource"] == "refused"  # and so is EventSource without ?_xsrf=
        assert "echo" in result["names"]
        assert result["followed"] == tokens
        assert result["end"]["reason"] == "complete"
        events = parse(result["raw"].encode())
        assert [e.data for e in events if e.event == "message"] == tokens
        assert events[-1].event == "end" and events[-1].json()["reason"] == "complete"
