// Nested agents and live state: the dispatcher (RunEvents) keeps each subagent's own
// text, tool calls and status apart from the root's, and rebuilds the graph's state
// from its state_delta patches (a bad one changes nothing); the view shows a card per
// subagent nested as the agents ran (under the tool call that started it, or its
// parent's card), open while it runs and closed once finished, a plan for a state's
// `todos` and the state as a tree with the last delta's changes marked, in both
// transports, with every name, text, key and value as text (never HTML).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";

import { fakeFetch, installDocument, kernelModel, serverModel, settle, viewMaker } from "./fakes.mjs";
import widget, { RunEvents } from "../../jupyter_lcsse/static/widget.js";

globalThis.requestAnimationFrame = (callback) => setTimeout(callback, 0);
globalThis.cancelAnimationFrame = (handle) => clearTimeout(handle);

const { view } = viewMaker(widget, after);

const { cases } = JSON.parse(readFileSync(new URL("../vectors/run_events.json", import.meta.url), "utf8"));

// ------------------------------------------------------------------------ helpers --

/** A recorded run's frames ({event, id, data}) from the shared vectors. */
function recorded(name) {
  return cases.find((c) => c.name === name).frames;
}

/** Frames as SSE text. */
function sse(frames) {
  let text = "";
  for (const f of frames) {
    if (f.id !== null && f.id !== undefined) text += `id: ${f.id}\n`;
    if (f.event !== "message") text += `event: ${f.event}\n`;
    for (const line of f.data.split("\n")) text += `data: ${line}\n`;
    text += "\n";
  }
  return text;
}

/** Frames from [event, data] pairs, ids from `first` on. */
function framesOf(pairs, first = 1) {
  return pairs.map(([event, data], i) => ({ event, id: String(first + i), data: typeof data === "string" ? data : JSON.stringify(data) }));
}

function run(frames) {
  const events = new RunEvents();
  for (const f of frames) events.apply({ type: f.event, data: f.data, id: f.id });
  return events;
}

/** A kernel-transport view and a function that sends it frames (one batch each call). */
function kernelView(key, extra = {}) {
  installDocument();
  const model = kernelModel({ _store_key: key, markdown: true, ...extra });
  const root = view(model);
  let last = 0;
  const send = async (frames) => {
    const ids = frames.map((f) => Number(f.id)).filter(Number.isFinite);
    const top = ids.length ? Math.max(...ids) : last;
    model.kernelSends({ type: "frames", run_id: "r1", after: last, last: top, frames: sse(frames) });
    last = top;
    await settle();
  };
  return { model, root, send };
}

/** Frames with ids up to `id` (inclusive) and those after it. */
function splitAt(frames, id) {
  const index = frames.findIndex((f) => Number(f.id) > id);
  return [frames.slice(0, index), frames.slice(index)];
}

function one(root, className) {
  const found = root.byClass(className);
  assert.equal(found.length, 1, `one .${className}`);
  return found[0];
}

function cards(root) {
  return root.byClass("lcsse-subagent");
}

function nameOf(card) {
  return one(card.children[0], "lcsse-subagent-name").textContent;
}

function statusOf(card) {
  return one(card.children[0], "lcsse-subagent-status").textContent;
}

/** A card's own parts (not those of the cards nested in it). */
function own(card, className) {
  const body = card.children[1];
  return body.children.find((c) => String(c.className).split(" ").includes(className));
}

const HOSTILE = "<img src=x onerror=alert(1)>";
const HOSTILE_SCRIPT = "<script>alert(2)</script>";

/** Nothing became an element but the widget's own: no img, script, iframe, b. */
function assertNoMarkup(root) {
  for (const tag of ["img", "script", "iframe", "b"]) assert.equal(root.all(tag).length, 0, `no <${tag}>`);
}

// ---------------------------------------------------------------- the dispatcher --

test("dispatcher when a subagent's events are tagged then they stay out of the root's text, calls and step", () => {
  const events = run(
    framesOf([
      ["step", { name: "model", status: "started", kind: "node" }],
      ["message", "Asking."],
      ["tool_call_start", { id: "task_1", name: "task" }],
      ["tool_call_end", { id: "task_1", name: "task", args: { description: "q" } }],
      ["subagent", { id: "s1", name: "researcher", status: "started", parent: null, tool_call_id: "task_1" }],
      ["step", { name: "inner_model", status: "started", kind: "node", subagent: "s1" }],
      ["subagent_text", { subagent: "s1", delta: "Looking." }],
      ["tool_call_start", { id: "task_1", name: "look_up", subagent: "s1" }], // the same id as the root's call
      ["tool_call_end", { id: "task_1", name: "look_up", args: { topic: "x" }, subagent: "s1" }],
      ["tool_result", { id: "task_1", name: "look_up", content: "found", status: "success", subagent: "s1" }],
      ["usage", { input_tokens: 3, output_tokens: 2, subagent: "s1" }],
      ["subagent_text", { subagent: "s1", delta: "Found it." }],
      ["sources", { documents: [{ page_content: "p", metadata: { title: "t" } }], subagent: "s1" }],
    ]),
  );
  assert.equal(events.text, "", "the root's answer started at its own call, not moved by the subagent's");
  assert.deepEqual(events.toolCalls.map((c) => [c.id, c.name, c.state]), [["task_1", "task", "called"]]);
  assert.deepEqual(events.step, { name: "model", kind: "node" }, "the subagent's step is its own");
  assert.equal(events.sources.length, 0);
  assert.deepEqual(events.usage, { input_tokens: 3, output_tokens: 2, total_tokens: 5 }, "the run's usage counts it");
  const [agent] = events.subagents;
  assert.equal(events.subagents.length, 1);
  assert.equal(agent.status, "running");
  assert.equal(agent.text, "Looking.Found it.");
  assert.equal(agent.answer, "Found it.", "its text since its last tool result");
  assert.deepEqual(agent.toolCalls.map((c) => [c.id, c.name, c.result, c.preface]), [["task_1", "look_up", "found", "Looking."]]);
  assert.deepEqual(agent.step, { name: "inner_model", kind: "node" });
  assert.equal(agent.sources.length, 1);
  assert.deepEqual(events.toolCalls[0].subagents, [agent], "placed at the call that started it");
  assert.equal(events.chunks, 6, "a subagent's text, calls and sources count as chunks, like the root's");
});

test("dispatcher when subagent events come before its started event then it is made there and moved to its call later", () => {
  const events = run(
    framesOf([
      ["tool_call_start", { id: "c1", name: "ask" }],
      ["subagent_text", { subagent: "w", delta: "early" }],
      ["subagent", { id: "w", name: "worker", status: "started", parent: null, tool_call_id: "c1" }],
    ]),
  );
  const [agent] = events.subagents;
  assert.equal(agent.name, "worker");
  assert.deepEqual(events.items.map((i) => i.kind), ["call"], "no longer among the root's own items");
  assert.deepEqual(events.toolCalls[0].subagents, [agent]);
});

test("dispatcher when a subagent finishes at an interrupt or fails then its last event says so", () => {
  const events = run(
    framesOf([
      ["subagent", { id: "a", name: "asker", status: "started", parent: null }],
      ["subagent", { id: "a", name: "asker", status: "finished", parent: null, interrupts: ["i1", 7] }],
      ["subagent", { id: "b", name: "breaker", status: "started", parent: null }],
      ["subagent", { id: "b", name: "breaker", status: "error", parent: null, error: "Boom" }],
      ["subagent", { id: "c", status: "sideways" }], // an unknown status: running still
      ["subagent", { name: "no id" }], // ignored
    ]),
  );
  assert.deepEqual(
    events.subagents.map((s) => [s.id, s.name, s.status, s.interrupts, s.error]),
    [
      ["a", "asker", "finished", ["i1", "7"], ""],
      ["b", "breaker", "error", [], "Boom"],
      ["c", "", "running", [], ""],
    ],
  );
});

test("dispatcher when a parent chain loops then every subagent sits under the root, none inside itself", () => {
  const events = run(
    framesOf([
      ["subagent", { id: "a", name: "a", status: "started", parent: "a" }],
      ["subagent", { id: "b", name: "b", status: "started", parent: "c" }],
      ["subagent", { id: "c", name: "c", status: "started", parent: "b" }],
    ]),
  );
  // a names itself; b and c name each other: each is the root's, none inside another.
  assert.deepEqual(events.items, events.subagents);
  for (const agent of events.subagents) assert.deepEqual(agent.items, []);
});

test("dispatcher when more subagents come than it keeps then the rest are dropped and never reach the root", () => {
  const pairs = [];
  for (let i = 0; i < 130; i += 1) {
    pairs.push(["subagent_text", { subagent: `s${i}`, delta: "x" }]);
    pairs.push(["tool_call_start", { id: "c", name: "t", subagent: `s${i}` }]);
  }
  const events = run(framesOf(pairs));
  assert.equal(events.subagents.length, 100);
  assert.ok(events.subagentsTable.dropped >= 30);
  assert.equal(events.toolCalls.length, 0);
  assert.equal(events.text, "");
});

test("dispatcher when a subagent's text passes the limit then it is cut there and says so", () => {
  const events = run(framesOf([["subagent_text", { subagent: "s", delta: "a".repeat(60000) }], ["subagent_text", { subagent: "s", delta: "b".repeat(60000) }]]));
  const [agent] = events.subagents;
  assert.equal(agent.text.length, 100000);
  assert.equal(agent.textCut, true);
});

test("dispatcher when state_delta patches come then liveState is them applied to {}, changed paths noted", () => {
  const events = run(
    framesOf([
      ["state_delta", { patch: [{ op: "add", path: "/todos", value: [{ content: "a", status: "pending" }] }] }],
      ["state_delta", { patch: [{ op: "replace", path: "/todos/0/status", value: "completed" }, { op: "add", path: "/notes", value: [] }] }],
    ]),
  );
  assert.deepEqual(events.liveState, { todos: [{ content: "a", status: "completed" }], notes: [] });
  assert.deepEqual(events.live.changed, ["/todos/0/status", "/notes"]);
  assert.equal(events.live.failures, 0);
  assert.equal(new RunEvents().liveState, null, "null before any delta");
});

test("dispatcher when a patch cannot be applied then the last good state stays, the failure is noted, nothing throws", () => {
  const good = { patch: [{ op: "add", path: "/n", value: 1 }] };
  const bad = [
    { patch: [{ op: "add", path: "/m", value: 2 }, { op: "replace", path: "/missing/deep", value: 3 }] }, // fails half-way
    { patch: [{ op: "test", path: "/n", value: 99 }] },
    { patch: [{ op: "add", path: "/__proto__/polluted", value: true }] },
    { patch: [{ op: "frobnicate", path: "/n" }] },
    { patch: "not a list" },
    { nothing: true },
  ];
  const events = new RunEvents();
  events.apply({ type: "state_delta", data: JSON.stringify(good) });
  for (const payload of bad) assert.doesNotThrow(() => events.apply({ type: "state_delta", data: JSON.stringify(payload) }));
  events.apply({ type: "state_delta", data: "{not json" });
  assert.deepEqual(events.liveState, { n: 1 }, "no half of a failed patch is left");
  assert.equal(events.live.failures, bad.length + 1);
  assert.ok(events.live.lastError);
  assert.deepEqual(events.live.changed, ["/n"], "the last good patch's");
  assert.equal({}.polluted, undefined, "no prototype was touched");
  // A good patch after them applies on the last good state.
  events.apply({ type: "state_delta", data: JSON.stringify({ patch: [{ op: "replace", path: "/n", value: 2 }] }) });
  assert.deepEqual(events.liveState, { n: 2 });
});

// --------------------------------------------------------------------- the view --

test("view when a subagent starts then its card appears, open, with its name and status; the layout keeps its order", async () => {
  const { root, send } = kernelView("sub-started");
  await send(framesOf([["subagent", { id: "s1", name: "researcher", status: "started", parent: null }]]));
  const [card] = cards(root);
  assert.equal(cards(root).length, 1);
  assert.equal(card.tagName, "DETAILS");
  assert.equal(card.open, true, "open while it runs");
  assert.equal(card.dataset.status, "running");
  assert.equal(nameOf(card), "researcher");
  assert.equal(statusOf(card), "running");
  assert.equal(one(card, "lcsse-subagent-summary").textContent, "subagent researcher · running");
  const order = ["lcsse-form", "lcsse-interrupts", "lcsse-reasoning", "lcsse-tools", "lcsse-output", "lcsse-sources", "lcsse-status", "lcsse-wire"];
  assert.deepEqual(root.children.map((c) => c.className), order);
  const tools = one(root, "lcsse-tools");
  assert.deepEqual(tools.children.map((c) => c.className), ["lcsse-plan", "lcsse-timeline", "lcsse-subagents-dropped", "lcsse-state"]);
});

test("view when parallel subagents interleave then each card streams its own text under the call that started it", async () => {
  const frames = recorded("nested_parallel_planner");
  const { root, send } = kernelView("sub-parallel");
  const [head, rest] = splitAt(frames, 53);
  await send(head);
  const [first, second] = cards(root);
  assert.equal(cards(root).length, 2);
  assert.equal(own(first, "lcsse-subagent-text").textContent, "SSE resumes with Last-Event-ID: the");
  assert.equal(own(second, "lcsse-subagent-text").textContent, "Nothing noted about cancelling.");
  for (const card of [first, second]) {
    assert.equal(nameOf(card), "worker");
    assert.equal(card.open, true);
    const [preface] = card.byClass("lcsse-tool-preface");
    assert.equal(preface.textContent, "Looking.");
    assert.equal(one(card, "lcsse-tool-name").textContent, "look_up");
  }
  // Each sits in the slot right after its ask call's card: arguments, then how it went.
  const timeline = one(root, "lcsse-tools").children[1];
  const slots = timeline.children.filter((c) => c.className === "lcsse-tool-subagents");
  assert.equal(slots.length, 2);
  assert.ok(slots[0].children.length === 1 && slots[0].children[0] === first);
  assert.ok(slots[1].children.length === 1 && slots[1].children[0] === second);
  const names = (el) => el.byClass("lcsse-tool-name")[0]?.textContent;
  const calls = timeline.children.filter((c) => c.className === "lcsse-tool");
  assert.equal(timeline.children.indexOf(slots[0]), timeline.children.indexOf(calls[0]) + 1);
  assert.equal(timeline.children.indexOf(slots[1]), timeline.children.indexOf(calls[1]) + 1);
  assert.match(one(calls[0], "lcsse-tool-args").textContent, /"first"/);
  assert.equal(names(calls[1]), "ask");
  await send(rest);
  assert.equal(own(first, "lcsse-subagent-text").textContent, "SSE resumes with Last-Event-ID: the server replays what came after it.");
  assert.equal(one(root, "lcsse-output").textContent, "Both answered.");
  assert.deepEqual(cards(root).map((c) => [c.dataset.status, c.open]), [["finished", false], ["finished", false]]);
});

test("view when a subagent runs a subagent then the child's card is inside the parent's, at its call or among its items", async () => {
  const { root, send } = kernelView("sub-nested");
  await send(
    framesOf([
      ["subagent", { id: "p", name: "parent", status: "started", parent: null }],
      ["tool_call_start", { id: "t1", name: "task", subagent: "p" }],
      ["subagent", { id: "c1", name: "anchored", status: "started", parent: "p", tool_call_id: "t1" }],
      ["subagent_text", { subagent: "c1", delta: "child text" }],
      ["subagent", { id: "c2", name: "loose", status: "started", parent: "p" }],
    ]),
  );
  const [parent, anchored, loose] = cards(root);
  assert.deepEqual([parent, anchored, loose].map(nameOf), ["parent", "anchored", "loose"]);
  const inner = own(parent, "lcsse-timeline");
  const slot = one(inner, "lcsse-tool-subagents");
  assert.deepEqual(slot.children, [anchored], "after the parent's task call");
  assert.ok(inner.children.includes(loose), "among the parent's own items");
  assert.equal(own(anchored, "lcsse-subagent-text").textContent, "child text");
  assert.equal(one(root, "lcsse-tools").children[1].children.length, 1, "the root holds only the parent");
});

test("view when a subagent finishes then its card closes; one the user opened stays open", async () => {
  const { root, send } = kernelView("sub-collapse");
  await send(
    framesOf([
      ["subagent", { id: "a", name: "left", status: "started", parent: null }],
      ["subagent", { id: "b", name: "touched", status: "started", parent: null }],
      ["tool_call_start", { id: "x", name: "look_up", subagent: "a" }],
    ]),
  );
  const [left, touched] = cards(root);
  assert.equal(statusOf(left), "running");
  assert.equal(one(left, "lcsse-subagent-detail").textContent, " · 1 tool call", "no step: how many calls");
  // The user closes and opens the second card again (a click on its summary each time).
  touched.open = false;
  touched.children[0].click();
  touched.open = true;
  touched.children[0].click();
  await send(
    framesOf(
      [
        ["tool_result", { id: "x", name: "look_up", content: "r", subagent: "a" }],
        ["subagent", { id: "a", name: "left", status: "finished", parent: null }],
        ["subagent", { id: "b", name: "touched", status: "finished", parent: null }],
      ],
      4,
    ),
  );
  assert.equal(left.open, false, "closed once finished");
  assert.equal(left.dataset.status, "finished");
  assert.equal(one(left, "lcsse-subagent-summary").textContent, "subagent left · finished · 1 tool call");
  assert.equal(touched.open, true, "left as the user left it");
});

test("view when the run ends with a subagent still running then its card says stopped and closes", async () => {
  const { root, send } = kernelView("sub-stopped");
  await send(framesOf([["subagent", { id: "a", name: "a", status: "started", parent: null }], ["end", { reason: "cancelled" }]]));
  const [card] = cards(root);
  assert.equal(card.dataset.status, "stopped");
  assert.equal(statusOf(card), "stopped");
  assert.equal(card.open, false);
});

test("view when a subagent fails then its card shows the error and stays open", async () => {
  const long = `Traceback:\n${"line\n".repeat(50)}ValueError: boom`;
  const { root, send } = kernelView("sub-error");
  await send(
    framesOf([
      ["subagent", { id: "a", name: "short", status: "started", parent: null }],
      ["subagent", { id: "a", name: "short", status: "error", parent: null, error: "Boom: the tool failed" }],
      ["subagent", { id: "b", name: "long", status: "started", parent: null }],
      ["subagent", { id: "b", name: "long", status: "error", parent: null, error: long }],
    ]),
  );
  const [short, longCard] = cards(root);
  assert.equal(short.dataset.status, "error");
  assert.equal(statusOf(short), "error");
  assert.equal(one(short, "lcsse-subagent-detail").textContent, ": Boom: the tool failed");
  assert.equal(own(short, "lcsse-subagent-error").hidden, true, "all of it is in the summary line");
  assert.equal(short.open, true);
  const error = own(longCard, "lcsse-subagent-error");
  assert.equal(error.hidden, false);
  assert.equal(error.textContent, long, "the whole error in the card");
  assert.ok(one(longCard, "lcsse-subagent-detail").textContent.endsWith("…"), "cut in the summary line");
});

test("view when a subagent stopped at an interrupt then its card waits for you, open, and the root shows the interrupt card", async () => {
  const { root, send } = kernelView("sub-interrupt");
  await send(recorded("nested_asking_subagent"));
  const [card] = cards(root);
  assert.equal(card.dataset.status, "waiting");
  assert.equal(statusOf(card), "waiting for you");
  assert.equal(card.open, true);
  const waiting = own(card, "lcsse-subagent-interrupts");
  assert.equal(waiting.hidden, false);
  assert.match(waiting.textContent, /b5dcb37a24fef64f0cfb58e31083ff32/);
  assert.equal(one(card, "lcsse-tool-name").textContent, "confirm");
  assert.equal(one(root, "lcsse-interrupt").dataset.kind, "input");
  assert.equal(one(root, "lcsse-status").dataset.status, "interrupted");
});

test("view when state deltas come then the plan shows each todo's status, updated on each delta", async () => {
  const frames = recorded("nested_deep_agent");
  const { root, send } = kernelView("sub-plan");
  const plan = one(root, "lcsse-plan");
  const [beforePlan, afterPlan] = splitAt(frames, 26);
  await send(beforePlan);
  assert.equal(plan.hidden, true, "no todos yet: no plan");
  const [planned, rest] = splitAt(afterPlan, 80);
  await send(planned);
  assert.equal(plan.hidden, false);
  const items = () => plan.byClass("lcsse-todo").map((li) => [one(li, "lcsse-todo-content").textContent, li.dataset.status, one(li, "lcsse-todo-status").textContent]);
  assert.deepEqual(items(), [
    ["Research the question", "in_progress", "in progress"],
    ["Write the answer", "pending", "pending"],
  ]);
  assert.equal(one(plan, "lcsse-plan-title").textContent, "plan · 0 of 2 completed");
  assert.equal(plan.byClass("lcsse-todo-icon")[0].getAttribute("aria-hidden"), "true", "the word says it; the icon is decoration");
  await send(rest);
  assert.deepEqual(items(), [
    ["Research the question", "completed", "completed"],
    ["Write the answer", "completed", "completed"],
  ]);
  assert.equal(one(plan, "lcsse-plan-title").textContent, "plan · 2 of 2 completed");
});

test("view when a delta changes keys then the state tree marks them, with a label, and the summary names them", async () => {
  const frames = recorded("nested_deep_agent");
  const { root, send } = kernelView("sub-tree");
  const state = one(root, "lcsse-state");
  assert.equal(state.hidden, true, "no delta yet: no panel");
  const [first, rest] = splitAt(frames, 1); // add /files
  await send(first);
  assert.equal(state.hidden, false);
  assert.equal(state.open, true);
  const marked = () => state.byClass("lcsse-state-changed").map((n) => n.dataset.pointer);
  assert.deepEqual(marked(), ["/files"]);
  const [second, third] = splitAt(rest, 80); // add /todos
  await send(second);
  assert.deepEqual(marked(), ["/todos"]);
  assert.equal(one(state, "lcsse-state-summary").textContent, "state · 2 keys · changed: todos");
  await send(third); // replace /todos/0/status and /todos/1/status
  assert.deepEqual(marked(), ["/todos/0/status", "/todos/1/status"]);
  const leaf = state.byClass("lcsse-state-changed")[0];
  assert.equal(one(leaf, "lcsse-state-badge").textContent, "changed");
  assert.equal(one(leaf, "lcsse-state-value").textContent, '"completed"');
  // The branches above a change are marked and open, so it is in sight.
  const inside = state.byClass("lcsse-state-changed-inside").map((n) => n.dataset.pointer);
  assert.deepEqual(inside, ["/todos", "/todos/0", "/todos/1"]);
  assert.ok(state.byClass("lcsse-state-changed-inside").every((n) => n.open));
  assert.deepEqual(state.byClass("lcsse-state-node").map((n) => [n.dataset.pointer, n.open]), [
    ["/todos", true],
    ["/todos/0", true],
    ["/todos/1", true],
  ]);
});

test("view when the user closes a branch then the next delta keeps it closed; a removed key is named in the summary", async () => {
  const { root, send } = kernelView("sub-tree-user");
  await send(framesOf([["state_delta", { patch: [{ op: "add", path: "/a", value: { x: 1 } }, { op: "add", path: "/b", value: 1 }] }]]));
  const state = one(root, "lcsse-state");
  const branch = () => state.byClass("lcsse-state-node").find((n) => n.dataset.pointer === "/a");
  assert.equal(branch().open, true, "a small top-level branch starts open");
  branch().children[0].click(); // the user's click closes it
  branch().open = false;
  await send(framesOf([["state_delta", { patch: [{ op: "replace", path: "/a/x", value: 2 }, { op: "remove", path: "/b" }] }]], 2));
  assert.equal(branch().open, false, "as the user left it");
  assert.equal(one(state, "lcsse-state-summary").textContent, "state · 1 key · changed: a, b");
  assert.equal(String(branch().className).split(" ").includes("lcsse-state-changed-inside"), true, "a closed branch still shows a change inside");
});

test("view when a patch fails then the panel says so and keeps the last good state", async () => {
  const { root, send } = kernelView("sub-bad-patch");
  await send(
    framesOf([
      ["state_delta", { patch: [{ op: "add", path: "/n", value: 1 }] }],
      ["state_delta", { patch: [{ op: "replace", path: "/gone/deep", value: 2 }] }],
    ]),
  );
  const state = one(root, "lcsse-state");
  const error = one(state, "lcsse-state-error");
  assert.equal(error.hidden, false);
  assert.match(error.textContent, /could not be applied/);
  assert.equal(state.byClass("lcsse-state-leaf").map((n) => n.textContent).join(), "n: 1changed");
});

test("view when names, texts, errors, keys, values and todos are hostile then all of it is text", async () => {
  const { root, send } = kernelView("sub-hostile");
  await send(
    framesOf([
      ["subagent", { id: HOSTILE, name: HOSTILE, status: "started", parent: null, tool_call_id: HOSTILE }],
      ["subagent_text", { subagent: HOSTILE, delta: `**bold** ${HOSTILE} <b>x</b> ${HOSTILE_SCRIPT}` }],
      ["subagent_reasoning", { subagent: HOSTILE, delta: HOSTILE_SCRIPT }],
      ["tool_call_start", { id: "c", name: HOSTILE, subagent: HOSTILE }],
      ["tool_result", { id: "c", name: HOSTILE, content: HOSTILE_SCRIPT, subagent: HOSTILE }],
      ["subagent_text", { subagent: HOSTILE, delta: `**bold** after ${HOSTILE} ${HOSTILE_SCRIPT}` }],
      ["subagent", { id: "e", name: HOSTILE_SCRIPT, status: "error", parent: HOSTILE, error: HOSTILE }],
      ["subagent", { id: "w", name: "w", status: "finished", parent: null, interrupts: [HOSTILE] }],
      [
        "state_delta",
        {
          patch: [
            { op: "add", path: "/todos", value: [{ content: HOSTILE, status: HOSTILE_SCRIPT }, { content: HOSTILE_SCRIPT, status: "completed" }] },
            { op: "add", path: `/${HOSTILE}`, value: { [HOSTILE_SCRIPT]: HOSTILE } },
          ],
        },
      ],
    ]),
  );
  assertNoMarkup(root);
  const texts = root.descendants().filter((n) => !n.tagName).map((n) => n.textContent);
  for (const hostile of [HOSTILE, HOSTILE_SCRIPT, `"${HOSTILE}"`]) assert.ok(texts.includes(hostile), hostile);
  const [card, child] = cards(root);
  assert.equal(nameOf(card), HOSTILE);
  assert.equal(nameOf(child), HOSTILE_SCRIPT);
  assert.equal(own(card, "lcsse-subagent-text").all("strong")[0].textContent, "bold", "markdown, built as DOM");
  const plan = one(root, "lcsse-plan");
  assert.deepEqual(plan.byClass("lcsse-todo").map((li) => li.dataset.status), ["other", "completed"], "an unknown status is not a class or a state");
  assert.equal(plan.byClass("lcsse-todo-status")[0].textContent, HOSTILE_SCRIPT);
});

test("view when markdown is off then a subagent's text is plain text", async () => {
  const { root, send } = kernelView("sub-plain", { markdown: false });
  await send(framesOf([["subagent_text", { subagent: "s", delta: "**not bold**" }]]));
  const text = own(cards(root)[0], "lcsse-subagent-text");
  assert.equal(text.textContent, "**not bold**");
  assert.equal(text.all("strong").length, 0);
  assert.equal(text.classes.has("lcsse-plain"), true);
});

test("view when a new run starts then its cards, plan and state replace the old run's", async () => {
  const { model, root, send } = kernelView("sub-rerun");
  await send(recorded("nested_deep_agent"));
  assert.equal(cards(root).length, 1);
  model.kernelSends({ type: "frames", run_id: "r2", after: 0, last: 1, frames: "id: 1\ndata: plain\n\n" });
  await settle();
  assert.equal(cards(root).length, 0);
  assert.equal(one(root, "lcsse-plan").hidden, true);
  assert.equal(one(root, "lcsse-state").hidden, true);
  assert.equal(one(root, "lcsse-output").textContent, "plain");
});

test("server transport when a nested run streams then the same cards, plan and state as the kernel's", async () => {
  installDocument("_xsrf=t");
  const { fetch } = fakeFetch({ events: [sse(recorded("nested_deep_agent"))] });
  globalThis.fetch = fetch;
  const model = serverModel({ _store_key: "sub-server", markdown: true });
  const root = view(model);
  await settle(60);
  assert.equal(model.get("status"), "complete");
  const [card] = cards(root);
  assert.equal(nameOf(card), "researcher");
  assert.equal(card.dataset.status, "finished");
  assert.equal(own(card, "lcsse-subagent-text").textContent, "Found: SSE resumes with Last-Event-ID: the server replays what came after it.");
  assert.equal(one(card, "lcsse-tool-name").textContent, "look_up");
  assert.deepEqual(root.byClass("lcsse-todo").map((li) => li.dataset.status), ["completed", "completed"]);
  assert.deepEqual(one(root, "lcsse-state").byClass("lcsse-state-changed").map((n) => n.dataset.pointer), ["/todos/0/status", "/todos/1/status"]);
  assert.equal(one(root, "lcsse-output").textContent, "The researcher says: Found: SSE resumes with Last-Event-ID: the server replays what came after it.");
});

test("view when the state is wide or deep then the tree draws a bounded part and says how much is left", async () => {
  const wide = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]));
  let deep = "bottom";
  for (let i = 0; i < 200; i += 1) deep = { d: deep };
  const { root, send } = kernelView("sub-tree-wide");
  await send(framesOf([["state_delta", { patch: [{ op: "add", path: "/values", value: wide }, { op: "add", path: "/deep", value: deep }] }]]));
  const state = one(root, "lcsse-state");
  const values = state.byClass("lcsse-state-node").find((n) => n.dataset.pointer === "/values");
  assert.equal(values.open, false, "a big branch starts closed: its children are not built");
  assert.equal(values.byClass("lcsse-state-leaf").length, 0);
  values.open = true;
  values.dispatch("toggle");
  const leaves = values.byClass("lcsse-state-leaf").length;
  assert.ok(leaves > 100 && leaves <= 1500, `${leaves} leaves drawn`);
  assert.match(one(values, "lcsse-state-more").textContent, /^… \d+ more$/);
  assert.equal(state.byClass("lcsse-state-error")[0].hidden, true);
  // A change 200 levels down opens the branches above it, as far as MAX_DEPTH: below, JSON text.
  await send(framesOf([["state_delta", { patch: [{ op: "replace", path: `/deep${"/d".repeat(200)}`, value: "changed" }] }]], 2));
  const open = state.byClass("lcsse-state-node").filter((n) => n.open && n.dataset.pointer.startsWith("/deep"));
  assert.ok(open.length >= 30 && open.length <= 41, `${open.length} levels drawn open`);
  const last = state.byClass("lcsse-state-leaf").find((n) => n.dataset.pointer.startsWith("/deep"));
  assert.match(one(last, "lcsse-state-value").textContent, /^\{"d":/);
});
