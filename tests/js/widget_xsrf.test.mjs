// Every request the widget makes carries Jupyter's XSRF token from the `_xsrf` cookie:
// JupyterHub's single-user servers answer 403 to a cookie-authenticated GET without it.
// (The widget reads streams with fetch; a native EventSource would need `?_xsrf=`.)
import assert from "node:assert/strict";
import { test } from "node:test";

import { fakeFetch, installDocument, settle } from "./fakes.mjs";
import { ServerStream, xsrfToken } from "../../jupyter_lcsse/static/widget.js";

const COOKIE = "hub-session=x; _xsrf=2%7Cab12%7Ccd34%7C1700000000; other=1";
const TOKEN = "2|ab12|cd34|1700000000";

function stream() {
  return new ServerStream("/base/", {
    onFrames: () => {},
    onEvents: () => {},
    onReconnect: () => {},
    onFailure: (message) => assert.fail(message),
  });
}

test("xsrf token when cookie among others then decoded value", () => {
  installDocument(COOKIE);
  assert.equal(xsrfToken(), TOKEN);
  installDocument("a=1");
  assert.equal(xsrfToken(), "");
});

test("server stream when start follow reconnect and cancel then every request sends X-XSRFToken", async () => {
  installDocument(COOKIE);
  // First connection drops after two events (no end): the reconnect GET must carry it too.
  const cut = "retry: 1\nid: 1\ndata: a\n\nid: 2\ndata: b\n\n";
  const rest = 'id: 3\ndata: c\n\nid: 4\nevent: end\ndata: {"reason":"complete"}\n\n';
  const { fetch, requests } = fakeFetch({ events: [cut, rest] });
  globalThis.fetch = fetch;
  const s = stream();
  await s.start("default", { question: "q" });
  await s.follow();
  await s.cancel();
  await settle();
  const kinds = requests.map((r) => `${r.method} ${r.url.replace(/\?.*/, "")}`);
  assert.deepEqual(kinds, [
    "POST /base/lcsse/api/runs",
    "GET /base/lcsse/api/runs/run1/events",
    "GET /base/lcsse/api/runs/run1/events",
    "DELETE /base/lcsse/api/runs/run1",
  ]);
  for (const request of requests) assert.equal(request.headers["X-XSRFToken"], TOKEN, `${request.method} ${request.url}`);
  assert.equal(requests[2].headers["Last-Event-ID"], "2");
});
