// The model-level store every view renders from: exact text whatever the order and
// repeats of the kernel's batches, replays only for a page that missed the start, one
// run per ask in the server transport, the kernel's own errors shown, a stable status.
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { fakeFetch, frames, installDocument, kernelModel, serverModel, settle, tokens } from "./fakes.mjs";
import widget, { RunStore, statusLine } from "../../jupyter_lcsse/static/widget.js";

globalThis.requestAnimationFrame = (callback) => setTimeout(callback, 0);
globalThis.cancelAnimationFrame = (handle) => clearTimeout(handle);

function batch(runId, after, last) {
  return { type: "frames", run_id: runId, after, last, frames: frames(after + 1, last) };
}

function ids(wire) {
  return [...wire.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
}

const cleanups = [];
after(() => {
  for (const cleanup of cleanups) cleanup(); // the views' timers would keep node alive
});

function renderView(model) {
  const el = document.createElement("div");
  cleanups.push(widget.render({ model, el }));
  return el;
}

/** initialize + render as anywidget does: returns the views' elements. */
function views(model, count) {
  cleanups.push(widget.initialize({ model }));
  const els = [];
  for (let i = 0; i < count; i += 1) els.push(renderView(model));
  return { els };
}

function shown(el) {
  return el.all("div").find((d) => d.className === "lcsse-output").textContent;
}

test("kernel store when views render mid-stream then no replay request and every view shows the text", async () => {
  installDocument();
  const model = kernelModel({ _store_key: "mid" });
  const { els } = views(model, 1); // the page was open when the widget was made
  model.kernelSets({ status: "starting", run_id: "r1" });
  model.kernelSends(batch("r1", 0, 9));
  model.kernelSets({ status: "streaming" });
  // A second view (display(w) again, or the saved output refreshed) renders now.
  const el = renderView(model);
  model.kernelSends(batch("r1", 9, 12));
  await settle();
  for (const view of [...els, el]) assert.equal(shown(view), tokens(1, 12));
  assert.deepEqual(model.sent, []); // nothing asked of the (busy) kernel
});

test("kernel store when a batch repeats or overlaps then each event is shown once", () => {
  installDocument();
  const model = kernelModel({ _store_key: "dup" });
  const store = new RunStore(model);
  model.kernelSends(batch("r1", 0, 8));
  model.kernelSends(batch("r1", 8, 10));
  model.kernelSends(batch("r1", 8, 10)); // the same batch again
  model.kernelSends({ type: "frames", run_id: "r1", after: 6, last: 12, frames: frames(7, 12) }); // overlaps
  assert.equal(store.text, tokens(1, 12));
  assert.deepEqual(ids(store.wire), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.equal(store.chunks, 12);
});

test("kernel store when page opened after the start then one replay of what it lacks, live batches kept", () => {
  installDocument();
  const model = kernelModel({ _store_key: "late", status: "streaming", run_id: "r1" });
  const store = new RunStore(model);
  assert.deepEqual(model.sent, [{ type: "replay", run_id: "r1", after: 0 }]);
  model.kernelSends(batch("r1", 5, 7)); // live, before the replay: kept, no second request
  model.kernelSends(batch("r1", 7, 9));
  assert.equal(model.sent.length, 1);
  model.kernelSends({ type: "replay", run_id: "r1", after: 0, last: 5, frames: frames(1, 5) });
  model.kernelSends(batch("r1", 9, 10));
  assert.equal(store.text, tokens(1, 10));
  assert.deepEqual(ids(store.wire), Array.from({ length: 10 }, (_, i) => i + 1));
});

test("kernel store when a new run starts then late batches of the old run are dropped", () => {
  installDocument();
  const model = kernelModel({ _store_key: "rerun" });
  const store = new RunStore(model);
  model.kernelSends(batch("r1", 0, 3));
  model.kernelSends(batch("r2", 0, 2)); // the new run's frames may overtake its trait update
  model.kernelSets({ status: "starting", run_id: "r2" });
  model.kernelSends(batch("r1", 3, 5));
  model.kernelSends(batch("r2", 2, 4));
  assert.equal(store.text, tokens(1, 4));
  assert.equal(store.runId, "r2");
});

test("status line when waiting then elapsed; first token kept at the end; no reconnects in kernel transport", () => {
  installDocument();
  let clock = 1000;
  const model = kernelModel({ _store_key: "status" });
  const store = new RunStore(model, { now: () => clock });
  model.kernelSets({ status: "starting", run_id: "r1" });
  clock += 1234;
  assert.equal(statusLine(store), "starting · 1.2 s");
  model.kernelSends(batch("r1", 0, 1));
  const streaming = statusLine(store);
  assert.match(streaming, /^streaming · first token 1234 ms · 1 chunk · /);
  clock += 500;
  const end = 'id: 2\nevent: end\ndata: {"reason":"complete","chunks":1,"ttft_ms":12.5,"elapsed_ms":1700}\n\n';
  model.kernelSends({ type: "frames", run_id: "r1", after: 1, last: 2, frames: end });
  model.kernelSets({ status: "complete", text: tokens(1, 1), chunks: 1, ttft_ms: 12.5, elapsed_ms: 1700 });
  const done = statusLine(store);
  assert.match(done, /^complete · first token 1234 ms · 1 chunk · 0\.6 tokens\/s$/);
  assert.doesNotMatch(done, /reconnect/);
});

test("server store when kernel reports an error then shown and no browser run is started", async () => {
  installDocument("_xsrf=t");
  const { fetch, requests } = fakeFetch();
  globalThis.fetch = fetch;
  const message = "no Jupyter server found: set LCSSE_SERVER_URL and LCSSE_TOKEN, or use --kernel";
  // Reported before the page rendered the widget ...
  const before = serverModel({ _store_key: "err1", status: "error", error: message });
  const { els } = views(before, 1);
  await settle();
  assert.equal(requests.length, 0);
  assert.match(els[0].all("div").find((d) => d.className === "lcsse-status").textContent, /error: no Jupyter server found/);
  // ... and after: the view follows the kernel's traits in this transport too.
  const after = serverModel({ _store_key: "err2", autostart: false });
  const store = new RunStore(after);
  after.kernelSets({ status: "error", error: message });
  assert.equal(store.status, "error");
  assert.match(statusLine(store), /error: no Jupyter server found/);
});

test("server store when kernel asks with new input and several views then one run with that input", async () => {
  installDocument("_xsrf=t");
  const { fetch, requests } = fakeFetch();
  globalThis.fetch = fetch;
  const model = serverModel({ _store_key: "ask", autostart: false });
  const { els } = views(model, 3);
  model.kernelSends({ type: "ask", input: { question: "What is Last-Event-ID?" } });
  await settle(50);
  const posts = requests.filter((r) => r.method === "POST");
  assert.equal(posts.length, 1);
  assert.deepEqual(JSON.parse(posts[0].body).input, { question: "What is Last-Event-ID?" });
  for (const el of els) assert.equal(shown(el), tokens(1, 3));
  assert.equal(model.get("status"), "complete");
  assert.equal(model.get("text"), tokens(1, 3));
});

test("server store when kernel started the run then views follow it and post nothing", async () => {
  installDocument("_xsrf=t");
  const { fetch, requests } = fakeFetch();
  globalThis.fetch = fetch;
  const model = serverModel({ _store_key: "follow" });
  cleanups.push(widget.initialize({ model })); // the model exists with status idle ...
  model.kernelSets({ status: "starting", run_id: "k1", events_url: "/base/lcsse/api/runs/k1/events" });
  const els = [renderView(model), renderView(model)]; // ... and is displayed after the start
  await settle(50);
  assert.deepEqual(requests.map((r) => `${r.method} ${r.url}`), ["GET /base/lcsse/api/runs/k1/events"]);
  for (const el of els) assert.equal(shown(el), tokens(1, 3));
});
