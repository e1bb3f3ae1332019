// Typed events on the run's SSE stream: the dispatcher (RunEvents) turns them into the
// run's state whatever the byte boundaries, the view shows reasoning, tool cards and
// sources as text only (never HTML; links only to https), the status line names the
// running step, and "@messages" widgets ask with the conversation and keep it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";

import { fakeFetch, installDocument, kernelModel, serverModel, settle, tokens, viewMaker } from "./fakes.mjs";
import widget, { RunEvents, RunStore, SSEParser, statusLine } from "../../jupyter_lcsse/static/widget.js";

globalThis.requestAnimationFrame = (callback) => setTimeout(callback, 0);
globalThis.cancelAnimationFrame = (handle) => clearTimeout(handle);

const WIDGET_JS = new URL("../../jupyter_lcsse/static/widget.js", import.meta.url);

const { view } = viewMaker(widget, after);

// ------------------------------------------------------------------------ helpers --

/** One SSE frame: `event:` unless a plain message, data lines, `id:` when given. */
function frame(type, data, id) {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  let out = id === undefined ? "" : `id: ${id}\n`;
  if (type !== "message") out += `event: ${type}\n`;
  for (const line of text.split("\n")) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** Frames from [type, data] pairs; ids 1.. except for metadata (the first frame, no id). */
function stream(events) {
  let id = 0;
  return events.map(([type, data]) => (type === "metadata" ? frame(type, data) : frame(type, data, ++id))).join("");
}

const ARGS_DELTAS = ['{"a', '": 6', ', "b": ', "7}"];

function agentEvents({ name = "multiply", deltas = ARGS_DELTAS, args = { a: 6, b: 7 }, result = "42", endUsage = null } = {}) {
  return [
    ["metadata", { run_id: "r1", chain: "agent", mode: "graph", langchain_run_id: "lc-1" }],
    ["step", { name: "model", status: "started", kind: "node" }],
    ["reasoning", "The user wants a product.\nI should call multiply."],
    ["tool_call_start", { id: "call_1", name }],
    ...deltas.map((args_delta) => ["tool_call_delta", { id: "call_1", args_delta }]),
    ["tool_call_end", { id: "call_1", name, args }],
    ["usage", { input_tokens: 20, output_tokens: 10, total_tokens: 30 }],
    ["step", { name: "model", status: "finished", kind: "node" }],
    ["step", { name: "tools", status: "started", kind: "node" }],
    ["tool_result", { id: "call_1", name, content: result, status: "success" }],
    ["step", { name: "tools", status: "finished", kind: "node" }],
    ["step", { name: "model", status: "started", kind: "node" }],
    ["message", "6 × 7 = "],
    ["message", "**42**. 🎉"],
    ["usage", { input_tokens: 35, output_tokens: 5, total_tokens: 40 }],
    ["step", { name: "model", status: "finished", kind: "node" }],
    ["state", { messages: [{ role: "assistant", content: "6 × 7 = **42**. 🎉" }] }],
    ["end", { reason: "complete", chunks: 8, ttft_ms: 12, elapsed_ms: 300, finish_reason: "stop", usage: endUsage }],
  ];
}

const AGENT = stream(agentEvents());

/** The state of a dispatcher, as plain data (to compare two of them). */
function snapshot(run) {
  const { text, reasoning, toolCalls, sources, usage, finishReason, graphState, metadata, error, chunks, end } = run;
  return JSON.parse(JSON.stringify({ text, reasoning, toolCalls, sources, usage, finishReason, graphState, metadata, error, chunks, end, step: run.step }));
}

function dispatch(chunks) {
  const parser = new SSEParser();
  const run = new RunEvents();
  for (const chunk of chunks) for (const event of parser.feed(chunk)) run.apply(event);
  for (const event of parser.close()) run.apply(event);
  return run;
}

function one(root, className) {
  const found = root.byClass(className);
  assert.equal(found.length, 1, `one .${className}`);
  return found[0];
}

/** The kernel's batch of SSE frames `text` (events after+1 .. last). */
function batch(runId, after, last, text) {
  return { type: "frames", run_id: runId, after, last, frames: text };
}

/** Split a stream's text into its frames and the highest id among them. */
function splitFrames(text) {
  return text.split(/(?<=\n\n)/);
}

/** The index of the first frame of this event type. */
function indexOf(all, type) {
  const index = all.findIndex((f) => f.includes(`event: ${type}\n`));
  assert.ok(index > 0, type);
  return index;
}

function lastId(text) {
  const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  return ids.length ? Math.max(...ids) : 0;
}

// --------------------------------------------------------------------- dispatcher --

test("dispatcher when agent stream then text, one tool call, states, steps and usage right", () => {
  const parser = new SSEParser();
  const run = new RunEvents();
  const events = parser.feed(AGENT);
  const seen = {};
  for (const event of events) {
    run.apply(event);
    const data = event.type === "reasoning" || event.type === "message" ? null : JSON.parse(event.data);
    if (event.type === "tool_call_start") seen.start = run.toolCalls[0].state;
    if (event.type === "tool_call_end") seen.end = run.toolCalls[0].state;
    if (event.type === "step" && data.status === "started" && data.name === "tools") seen.tools = run.step;
    if (event.type === "step" && data.status === "finished" && data.name === "tools") seen.afterTools = run.step;
  }
  assert.equal(run.text, "6 × 7 = **42**. 🎉");
  assert.equal(run.reasoning, "The user wants a product.\nI should call multiply.");
  assert.equal(run.toolCalls.length, 1);
  const [call] = run.toolCalls;
  assert.equal(call.id, "call_1");
  assert.equal(call.name, "multiply");
  assert.equal(call.argsText, '{"a": 6, "b": 7}');
  assert.deepEqual(call.args, { a: 6, b: 7 });
  assert.equal(call.result, "42");
  assert.equal(call.resultStatus, "success");
  assert.equal(call.state, "done");
  assert.deepEqual([seen.start, seen.end], ["streaming", "called"]);
  assert.deepEqual(seen.tools, { name: "tools", kind: "node" });
  assert.equal(seen.afterTools, null);
  assert.equal(run.step, null);
  assert.deepEqual(run.usage, { input_tokens: 55, output_tokens: 15, total_tokens: 70 }); // summed (end's is null)
  assert.equal(run.finishReason, "stop");
  assert.equal(run.chunks, 8);
  assert.equal(run.firstTokenSeen, true);
  assert.deepEqual(run.metadata, { run_id: "r1", chain: "agent", mode: "graph", langchain_run_id: "lc-1" });
  assert.deepEqual(run.graphState, { messages: [{ role: "assistant", content: "6 × 7 = **42**. 🎉" }] });
  assert.equal(run.end.reason, "complete");
});

test("dispatcher when chunks are counted then as the store counts them; end's usage wins", () => {
  const run = new RunEvents();
  const counted = agentEvents({ endUsage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } })
    .map(([type, data]) => run.apply({ type, data: typeof data === "string" ? data : JSON.stringify(data), id: null }));
  // reasoning, tool_call_start, 4 deltas, 2 messages
  assert.equal(counted.filter(Boolean).length, 8);
  assert.deepEqual(run.usage, { input_tokens: 1, output_tokens: 2, total_tokens: 3 });
  const data = new RunEvents();
  assert.equal(data.apply({ type: "data", data: '{"x": 1}', id: "1" }), true);
  assert.equal(data.apply({ type: "sources", data: '{"documents": []}', id: "2" }), true);
  assert.equal(data.apply({ type: "usage", data: '{"input_tokens": 1}', id: "3" }), false);
  assert.equal(data.chunks, 2);
  assert.deepEqual(data.usage, { input_tokens: 1, output_tokens: 0, total_tokens: 1 });
});

test("dispatcher when the stream is split at every byte then the same state", () => {
  const bytes = new TextEncoder().encode(AGENT);
  const whole = snapshot(dispatch([bytes]));
  assert.equal(whole.text, "6 × 7 = **42**. 🎉");
  for (let i = 0; i <= bytes.length; i += 1) {
    assert.deepEqual(snapshot(dispatch([bytes.slice(0, i), bytes.slice(i)])), whole, `split at byte ${i}`);
  }
  const single = [];
  for (let i = 0; i < bytes.length; i += 1) single.push(bytes.slice(i, i + 1));
  assert.deepEqual(snapshot(dispatch(single)), whole, "one byte at a time");
  for (const size of [2, 3, 7, 13, 64]) {
    const parts = [];
    for (let i = 0; i < bytes.length; i += size) parts.push(bytes.slice(i, i + size));
    assert.deepEqual(snapshot(dispatch(parts)), whole, `chunks of ${size} bytes`);
  }
  // CRLF line endings (a proxy may rewrite them) give the same state too.
  assert.deepEqual(snapshot(dispatch([AGENT.replace(/\n/g, "\r\n")])), whole);
});

test("dispatcher when payloads are malformed or unknown then nothing throws and the rest is kept", () => {
  const run = new RunEvents();
  const bad = [
    ["tool_call_start", "not json"],
    ["tool_call_delta", "{"],
    ["tool_call_end", "[]"],
    ["tool_result", "null"],
    ["step", "42"],
    ["step", '{"status": "started"}'],
    ["sources", "[1,"],
    ["sources", '{"documents": [1, null, {"page_content": 5}]}'],
    ["usage", "null"],
    ["usage", '{"input_tokens": "many"}'],
    ["state", "{"],
    ["metadata", "nope"],
    ["error", "plain words"],
    ["fancy_new_event", '{"whatever": true}'],
    ["message", "still "],
    ["tool_call_delta", '{"args_delta": "{\\"q\\": 1}"}'], // no id: a call of its own
    ["message", "fine"],
    ["end", "oops"],
  ];
  for (const [type, data] of bad) assert.doesNotThrow(() => run.apply({ type, data, id: null }), type);
  assert.doesNotThrow(() => run.apply(null));
  assert.doesNotThrow(() => run.apply({ type: "message" }));
  // The text before the (id-less) call is its preface; the answer is what came after.
  assert.equal(run.text, "fine");
  assert.equal(run.toolCalls.at(-1).preface, "still ");
  assert.equal(run.error, "plain words");
  assert.deepEqual(run.sources, [{ page_content: "5", metadata: {} }]);
  assert.equal(run.usage, null);
  assert.equal(run.step, null);
  assert.equal(run.graphState, null);
  assert.deepEqual(run.end, {});
  assert.deepEqual(run.toolCalls.map((c) => c.argsText), ['{"q": 1}']);
  assert.ok(run.events.some((e) => e.type === "fancy_new_event"), "an unknown event is kept in the list");
});

test("dispatcher when several calls interleave then each by its id, in order of their start", () => {
  const run = new RunEvents();
  const apply = (type, data) => run.apply({ type, data: JSON.stringify(data), id: null });
  apply("tool_call_start", { id: "a", name: "search" });
  apply("tool_call_start", { id: "b", name: "multiply" });
  apply("tool_call_delta", { id: "b", args_delta: '{"a": 2' });
  apply("tool_call_delta", { id: "a", args_delta: '{"q": "sse"}' });
  apply("tool_call_delta", { id: "b", args_delta: ', "b": 3}' });
  apply("tool_call_end", { id: "a", name: "search", args: { q: "sse" } });
  apply("tool_call_end", { id: "b", name: "multiply", args: { a: 2, b: 3 } });
  apply("tool_result", { id: "b", name: "multiply", content: "6", status: "success" });
  apply("tool_result", { id: "a", name: "search", content: "boom", status: "error" });
  assert.deepEqual(
    run.toolCalls.map((c) => [c.id, c.name, c.argsText, c.result, c.state]),
    [
      ["a", "search", '{"q": "sse"}', "boom", "error"],
      ["b", "multiply", '{"a": 2, "b": 3}', "6", "done"],
    ],
  );
});

// -------------------------------------------------------------------- status line --

test("status line when a step runs then it follows the status word, while starting too", () => {
  installDocument();
  let clock = 1000;
  const model = kernelModel({ _store_key: "steps-status" });
  const store = new RunStore(model, { now: () => clock });
  model.kernelSends(batch("r1", 0, 1, frame("step", { name: "model", status: "started", kind: "node" }, 1)));
  clock += 1234;
  assert.equal(statusLine(store), "starting · node model · 1.2 s");
  model.kernelSends(batch("r1", 1, 2, frame("message", "hi", 2)));
  assert.match(statusLine(store), /^streaming · node model · first token 1234 ms · 1 chunk · /);
  const retriever = [
    frame("step", { name: "model", status: "finished", kind: "node" }, 3),
    frame("step", { name: "docs", status: "started", kind: "retriever" }, 4),
  ].join("");
  model.kernelSends(batch("r1", 2, 4, retriever));
  assert.match(statusLine(store), /^streaming · retriever docs · first token/);
  model.kernelSends(batch("r1", 4, 5, frame("end", { reason: "complete", chunks: 1, ttft_ms: 3, elapsed_ms: 2000 }, 5)));
  assert.match(statusLine(store), /^complete · first token 1234 ms · 1 chunk · /);
});

// ---------------------------------------------------------------------------- view --

const HOSTILE_NAME = "<img src=x onerror=alert(1)>";
const HOSTILE_ARGS = ['{"html": "<script>alert(', '1)</script>"}'];
const HOSTILE_ARGS_OBJECT = { html: "<script>alert(1)</script>" };
const HOSTILE_RESULT = "<b onmouseover=alert(1)>x</b><iframe src=javascript:alert(1)>";
const SOURCES = {
  documents: [
    { page_content: "<img src=y onerror=alert(2)> evil text", metadata: { title: "<img src=z onerror=alert(3)>", source: "javascript:alert(1)" } },
    { page_content: "SSE is a W3C standard. ".repeat(40), metadata: { source: "https://html.spec.whatwg.org/#server-sent-events" } },
    { page_content: "plain http", metadata: { title: "Plain", url: "http://example.org/" } },
    { page_content: "data url", metadata: { source: "data:text/html,<script>alert(1)</script>" } },
  ],
};

function hostileEvents() {
  const events = agentEvents({ name: HOSTILE_NAME, deltas: HOSTILE_ARGS, args: HOSTILE_ARGS_OBJECT, result: HOSTILE_RESULT });
  const end = events.pop();
  events.push(["sources", SOURCES], end);
  return events;
}

test("view when agent stream with hostile tool, args, result and sources then all of it is text", async () => {
  installDocument();
  const model = kernelModel({ _store_key: "typed-view", markdown: true });
  const root = view(model);
  const all = splitFrames(stream(hostileEvents()));
  // The arguments as they stream ...
  const streaming = indexOf(all, "tool_call_end");
  const start = all.slice(0, streaming).join("");
  model.kernelSends(batch("r1", 0, lastId(start), start));
  await settle();
  assert.equal(one(root, "lcsse-tool-args").textContent, HOSTILE_ARGS.join(""));
  // ... up to the tools step: the card is there, still running, the step is shown.
  const cut = indexOf(all, "tool_result");
  const head = all.slice(streaming, cut).join("");
  model.kernelSends(batch("r1", lastId(start), lastId(head), head));
  await settle();
  const card = one(root, "lcsse-tool");
  assert.equal(card.tagName, "DETAILS");
  assert.equal(card.open, true, "open while it has no result");
  assert.equal(one(root, "lcsse-tool-name").textContent, HOSTILE_NAME);
  assert.equal(one(root, "lcsse-tool-state").textContent, "running");
  assert.equal(one(root, "lcsse-tool-summary").textContent, `tool ${HOSTILE_NAME} · running`);
  assert.match(one(root, "lcsse-status").textContent, /^streaming · node tools · first token/);
  assert.equal(one(root, "lcsse-tool-result").hidden, true);

  const rest = all.slice(cut).join("");
  model.kernelSends(batch("r1", lastId(head), lastId(rest), rest));
  await settle();
  assert.equal(card.open, false, "closed once it has its result");
  assert.equal(one(root, "lcsse-tool-state").textContent, "done");
  assert.equal(card.dataset.state, "done");
  assert.equal(one(root, "lcsse-tool-args").textContent, JSON.stringify(HOSTILE_ARGS_OBJECT, null, 1));
  assert.equal(one(root, "lcsse-tool-result").textContent, HOSTILE_RESULT);
  assert.equal(one(root, "lcsse-tool-result").hidden, false);
  assert.doesNotMatch(one(root, "lcsse-status").textContent, /node/);

  // Order: prompt, interrupt cards (hidden: none), reasoning, tool cards, answer, sources, status, wire.
  const order = ["lcsse-form", "lcsse-interrupts", "lcsse-reasoning", "lcsse-tools", "lcsse-output", "lcsse-sources", "lcsse-status", "lcsse-wire"];
  assert.deepEqual(root.children.map((c) => c.className), order);
  const nodes = root.descendants();
  assert.ok(nodes.indexOf(card) < nodes.indexOf(one(root, "lcsse-output")), "the card comes before the answer");
  assert.equal(one(root, "lcsse-output").all("strong")[0].textContent, "42");

  // Reasoning: a collapsed details, the text in a pre.
  const reasoning = one(root, "lcsse-reasoning");
  assert.equal(reasoning.tagName, "DETAILS");
  assert.ok(!reasoning.open, "collapsed");
  assert.equal(reasoning.hidden, false);
  assert.equal(one(reasoning, "lcsse-reasoning-summary").textContent, "reasoning");
  assert.equal(one(reasoning, "lcsse-reasoning-text").tagName, "PRE");
  assert.equal(one(reasoning, "lcsse-reasoning-text").textContent, "The user wants a product.\nI should call multiply.");

  // Sources: one link, to the https source; the rest text.
  const sources = one(root, "lcsse-sources");
  assert.equal(one(sources, "lcsse-sources-summary").textContent, "sources (4)");
  const items = sources.byClass("lcsse-source");
  assert.equal(items.length, 4);
  const links = root.all("a");
  assert.equal(links.length, 1);
  assert.equal(links[0].getAttribute("href"), "https://html.spec.whatwg.org/#server-sent-events");
  assert.equal(links[0].getAttribute("rel"), "noopener noreferrer");
  assert.equal(links[0].getAttribute("target"), "_blank");
  assert.equal(links[0].className, "lcsse-source-link");
  assert.equal(links[0].textContent, "https://html.spec.whatwg.org/#server-sent-events");
  assert.deepEqual(items.map((li) => li.children[0].textContent), [
    "<img src=z onerror=alert(3)>",
    "https://html.spec.whatwg.org/#server-sent-events",
    "Plain",
    "data:text/html,<script>alert(1)</script>",
  ]);
  assert.equal(items[0].children[0].className, "lcsse-source-title");
  const long = one(items[1], "lcsse-source-content").textContent;
  assert.ok(long.length <= 240 && long.endsWith("…"), "the page content is shortened");

  // Nothing became an element: no img, script, b, iframe anywhere; hostile strings are text nodes.
  for (const tag of ["img", "script", "b", "iframe"]) assert.equal(root.all(tag).length, 0, tag);
  const texts = nodes.filter((n) => !n.tagName).map((n) => n.textContent);
  assert.ok(texts.includes(HOSTILE_NAME));
  assert.ok(texts.includes(HOSTILE_RESULT));
  assert.ok(texts.includes("<img src=z onerror=alert(3)>"));
  for (const n of nodes) if (n.tagName) assert.deepEqual(Object.keys(n.attributes).filter((a) => /^on/i.test(a)), []);
});

test("view when the user toggled a card by hand then the result does not close it", async () => {
  installDocument();
  const model = kernelModel({ _store_key: "typed-manual" });
  const root = view(model);
  const all = splitFrames(stream(agentEvents()));
  const cut = indexOf(all, "tool_call_end") - 1; // all deltas but the last
  const head = all.slice(0, cut).join("");
  model.kernelSends(batch("r1", 0, lastId(head), head));
  await settle();
  const card = one(root, "lcsse-tool");
  assert.equal(one(root, "lcsse-tool-args").textContent, '{"a": 6, "b": ');
  // The user closes it and opens it again (a click on the summary each time).
  const summary = one(root, "lcsse-tool-summary");
  card.open = false;
  summary.click();
  card.open = true;
  summary.click();
  const rest = all.slice(cut).join("");
  model.kernelSends(batch("r1", lastId(head), lastId(rest), rest));
  await settle();
  assert.equal(one(root, "lcsse-tool-state").textContent, "done");
  assert.equal(card.open, true, "left as the user left it");
  assert.equal(root.byClass("lcsse-tool").length, 1, "the card is updated, not rebuilt");
  assert.equal(one(root, "lcsse-sources").hidden, true, "no sources: no list");
});

test("view when a new run starts then its cards replace the old run's", async () => {
  installDocument();
  const model = kernelModel({ _store_key: "typed-rerun" });
  const root = view(model);
  const first = stream(agentEvents());
  model.kernelSends(batch("r1", 0, lastId(first), first));
  await settle();
  assert.equal(root.byClass("lcsse-tool").length, 1);
  const second = stream([["message", "no tools this time"]]);
  model.kernelSends(batch("r2", 0, lastId(second), second));
  await settle();
  assert.equal(root.byClass("lcsse-tool").length, 0);
  assert.equal(one(root, "lcsse-reasoning").hidden, true);
  assert.equal(one(root, "lcsse-output").textContent, "no tools this time");
});

test("widget source when read then no HTML sink is used", () => {
  const source = readFileSync(WIDGET_JS, "utf8");
  assert.doesNotMatch(source, /\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write/);
});

// --------------------------------------------------------------------- @messages --

const CONVERSATION = [
  { role: "user", content: "hi" },
  { role: "assistant", content: "Hello! How can I help?" },
];

function messagesModel(extra) {
  return serverModel({
    input_key: "@messages",
    input: { messages: [{ role: "user", content: "What is 6 × 7?" }] },
    conversation: CONVERSATION,
    config: { configurable: { thread_id: "t1" }, tags: ["demo"] },
    keep_conversation: true,
    autostart: false,
    ...extra,
  });
}

function promptOf(root) {
  return root.all("textarea")[0];
}

function askButton(root) {
  return root.all("button").find((b) => b.className === "lcsse-ask");
}

test("@messages when Ask in the server transport then conversation plus question, config sent, conversation kept", async () => {
  installDocument("_xsrf=t");
  const { fetch, requests } = fakeFetch();
  globalThis.fetch = fetch;
  const model = messagesModel({ _store_key: "messages-server" });
  const root = view(model);
  assert.equal(promptOf(root).value, "What is 6 × 7?", "the question, not JSON");
  promptOf(root).value = "And 6 × 8?";
  askButton(root).click();
  await settle(50);
  const posts = requests.filter((r) => r.method === "POST");
  assert.equal(posts.length, 1);
  const body = JSON.parse(posts[0].body);
  const user = { role: "user", content: "And 6 × 8?" };
  assert.deepEqual(body.input, { messages: [...CONVERSATION, user] });
  assert.deepEqual(body.config, { configurable: { thread_id: "t1" }, tags: ["demo"] });
  assert.equal(model.get("status"), "complete");
  assert.deepEqual(model.get("conversation"), [...CONVERSATION, user, { role: "assistant", content: tokens(1, 3) }]);
  assert.ok(model.saved.some((values) => "conversation" in values), "saved for the kernel");
});

test("@messages when keep_conversation is off or config empty then neither is sent or saved", async () => {
  installDocument("_xsrf=t");
  const { fetch, requests } = fakeFetch();
  globalThis.fetch = fetch;
  const model = messagesModel({ _store_key: "messages-nokeep", keep_conversation: false, config: {}, conversation: [] });
  const root = view(model);
  askButton(root).click();
  await settle(50);
  const body = JSON.parse(requests.find((r) => r.method === "POST").body);
  assert.deepEqual(body, { chain: "default", input: { messages: [{ role: "user", content: "What is 6 × 7?" }] } });
  assert.equal(model.get("status"), "complete");
  assert.deepEqual(model.get("conversation"), []);
  assert.ok(!model.saved.some((values) => "conversation" in values));
});

test("@messages when Ask in the kernel transport then the ask message carries the messages", () => {
  installDocument();
  const model = kernelModel({
    _store_key: "messages-kernel",
    input_key: "@messages",
    input: { messages: [] },
    conversation: CONVERSATION,
    keep_conversation: true,
    autostart: false,
  });
  const root = view(model);
  assert.equal(promptOf(root).value, "", "no user message yet: an empty box");
  promptOf(root).value = "Thanks!";
  askButton(root).click();
  assert.deepEqual(model.sent, [{ type: "ask", input: { messages: [...CONVERSATION, { role: "user", content: "Thanks!" }] } }]);
});

test("dispatcher when the model writes before calling a tool then the answer is only what follows", () => {
  const run = new RunEvents();
  const events = [
    ["message", "Let me "],
    ["message", "compute that."],
    ["tool_call_start", '{"id": "c1", "name": "calculator"}'],
    ["tool_call_end", '{"id": "c1", "name": "calculator", "args": {"expression": "6 * 7"}}'],
    ["tool_result", '{"id": "c1", "name": "calculator", "content": "42", "status": "success"}'],
    ["message", "It is "],
    ["message", "42."],
  ];
  for (const [type, data] of events) run.apply({ type, data, id: null });
  assert.equal(run.text, "It is 42.");
  assert.equal(run.toolCalls[0].preface, "Let me compute that.");
});

test("@messages when the graph has a checkpointer (keep off) then Ask sends only the new message", async () => {
  // The page once sent the conversation trait whatever keep_conversation said, so each
  // Ask put the earlier turns into the checkpointer's thread again.
  installDocument("_xsrf=t");
  const { fetch, requests } = fakeFetch();
  globalThis.fetch = fetch;
  const model = messagesModel({ _store_key: "messages-thread", keep_conversation: false });
  const root = view(model);
  promptOf(root).value = "And 6 × 8?";
  askButton(root).click();
  await settle(50);
  const body = JSON.parse(requests.find((r) => r.method === "POST").body);
  assert.deepEqual(body.input, { messages: [{ role: "user", content: "And 6 × 8?" }] });
  assert.deepEqual(body.config.configurable, { thread_id: "t1" });
});
