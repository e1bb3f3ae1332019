// Runs that stop for a human (LangGraph `interrupt()`, HumanInTheLoopMiddleware): the
// dispatcher keeps the `interrupt` payloads and the interrupted end, the status line says
// "waiting for you", the view shows an approval or input card per open interrupt (as
// text only), and the answers go as ONE resume whose VALUE is {"<interrupt id>": answer}:
// a `resume` comm message in the kernel transport, a POST of `command.resume` in the
// server transport, with the resumed run followed by the same widget.
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { FakeModel, installDocument, kernelModel, serverModel, settle, viewMaker } from "./fakes.mjs";
import widget, { RunEvents, RunStore, formFields, statusLine } from "../../jupyter_lcsse/static/widget.js";

globalThis.requestAnimationFrame = (callback) => setTimeout(callback, 0);
globalThis.cancelAnimationFrame = (handle) => clearTimeout(handle);

const { view } = viewMaker(widget, after);

// ------------------------------------------------------------------------ helpers --

function frame(type, data, id) {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  let out = id === undefined ? "" : `id: ${id}\n`;
  if (type !== "message") out += `event: ${type}\n`;
  for (const line of text.split("\n")) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** An interrupted run's frames: a pending tool call, the interrupts, state, end. */
function interruptedStream(interrupts, { threadId = "t1" } = {}) {
  const events = [
    ["tool_call_start", { id: "call_1", name: "multiply" }],
    ["tool_call_end", { id: "call_1", name: "multiply", args: { a: 6, b: 7 } }],
    ...interrupts.map((payload) => ["interrupt", payload]),
    ["state", { messages: [] }],
    ["end", { reason: "interrupted", chunks: 1, ttft_ms: 5, elapsed_ms: 40, interrupts: interrupts.map((i) => i.id), thread_id: threadId }],
  ];
  return frame("metadata", { run_id: "r1", chain: "agent" }) + events.map(([type, data], i) => frame(type, data, i + 1)).join("");
}

function lastId(text) {
  return Math.max(0, ...[...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1])));
}

function action(extra = {}) {
  return { tool_call_id: "call_1", name: "multiply", args: { a: 6, b: 7 }, description: "Multiply two numbers", allowed_decisions: ["approve", "edit", "reject"], ...extra };
}

function perCall(id = "i1", extra = {}) {
  const a = action(extra);
  return {
    id,
    kind: "approval",
    mode: "per_call",
    value: { type: "tool_approval", tool_call_id: a.tool_call_id, name: a.name, args: a.args, description: a.description },
    actions: [a],
  };
}

function batched(id, actions) {
  return {
    id,
    kind: "approval",
    mode: "batched",
    value: {
      action_requests: actions.map((a) => ({ name: a.name, args: a.args, description: a.description })),
      review_configs: actions.map((a) => ({ action_name: a.name, allowed_decisions: a.allowed_decisions })),
    },
    actions,
  };
}

function inputInterrupt(id, value, extra = {}) {
  return { id, kind: "input", value, ...extra };
}

function one(root, className) {
  const found = root.byClass(className);
  assert.equal(found.length, 1, `one .${className}`);
  return found[0];
}

function buttons(root) {
  return root.all("button").filter((b) => !["lcsse-ask", "lcsse-stop"].includes(b.className));
}

function button(root, className) {
  return one(root, className);
}

/** A kernel-transport view whose run r1 ended interrupted at these interrupts. */
async function interruptedKernelView(key, interrupts, extra = {}) {
  installDocument();
  const model = kernelModel({ _store_key: key, autostart: false, ...extra });
  const root = view(model);
  const text = interruptedStream(interrupts);
  model.kernelSets({ status: "starting", run_id: "r1" });
  model.kernelSends({ type: "frames", run_id: "r1", after: 0, last: lastId(text), frames: text });
  model.kernelSets({ status: "interrupted", interrupts });
  await settle();
  return { model, root };
}

// --------------------------------------------------------------------- dispatcher --

test("dispatcher when interrupt events then kept in order, one per id, the end's ids and thread kept", () => {
  const run = new RunEvents();
  const apply = (type, data) => run.apply({ type, data: typeof data === "string" ? data : JSON.stringify(data), id: null });
  apply("interrupt", { id: "a", kind: "input", value: "first" });
  apply("interrupt", { id: "b", kind: "input", value: 2 });
  apply("interrupt", { id: "a", kind: "input", value: "again" }); // a repeat replaces, in place
  apply("interrupt", { id: 7, kind: "input", value: null }); // an id that is not a string: as text
  for (const bad of ["not json", "null", "[]", "42", '{"kind": "input"}', '{"id": ""}', '{"id": null}']) {
    assert.doesNotThrow(() => apply("interrupt", bad), bad);
  }
  assert.equal(apply("interrupt", { id: "c", kind: "input", value: 1 }) || run.chunks, 0, "no chunk");
  apply("end", { reason: "interrupted", chunks: 0, interrupts: ["a", "b", "7", "c"], thread_id: "t9" });
  assert.deepEqual(run.interrupts.map((i) => [i.id, i.value]), [["a", "again"], ["b", 2], ["7", null], ["c", 1]]);
  assert.equal(run.end.reason, "interrupted");
  assert.deepEqual(run.end.interrupts, ["a", "b", "7", "c"]);
  assert.equal(run.end.thread_id, "t9");
  assert.equal(run.ended, true);
});

test("store when a run ends interrupted then status interrupted (terminal, not cancelled) and its open interrupts", () => {
  installDocument();
  let clock = 1000;
  const model = kernelModel({ _store_key: "int-store" });
  const store = new RunStore(model, { now: () => clock });
  const text = interruptedStream([perCall("i1"), inputInterrupt("i2", "name?")], { threadId: "t7" });
  model.kernelSends({ type: "frames", run_id: "r1", after: 0, last: lastId(text), frames: text });
  assert.equal(store.status, "interrupted");
  assert.equal(store.error, "");
  assert.deepEqual(store.interrupts.map((i) => [i.id, i.kind]), [["i1", "approval"], ["i2", "input"]]);
  assert.equal(store.threadId, "t7");
  assert.match(statusLine(store), /^waiting for you · first token \d+ ms · 1 chunk · /);
  // The kernel's trait arrives later: nothing moves back to "streaming".
  model.kernelSets({ status: "interrupted", interrupts: [perCall("i1")] });
  assert.equal(store.status, "interrupted");
  assert.equal(store.interrupts.length, 2, "the frames' list stays");
});

test("status line when interrupted then 'waiting for you' and data-status interrupted in the view", async () => {
  const { root } = await interruptedKernelView("int-status", [perCall("i1")]);
  const status = one(root, "lcsse-status");
  assert.match(status.textContent, /^waiting for you · /);
  assert.equal(status.dataset.status, "interrupted");
  assert.doesNotMatch(status.textContent, /error|cancelled/);
  assert.equal(one(root, "lcsse-ask").disabled, false);
  assert.equal(one(root, "lcsse-stop").disabled, true, "the run has ended: nothing to stop");
});

// ------------------------------------------------------------------- approval card --

test("approval card when per call then its call as text, only the allowed buttons, Approve sends one map", async () => {
  const interrupt = perCall("i1", { allowed_decisions: ["approve", "reject"] });
  const { model, root } = await interruptedKernelView("int-approve", [interrupt]);
  const card = one(root, "lcsse-interrupt");
  assert.equal(card.dataset.kind, "approval");
  assert.equal(card.dataset.state, "open");
  assert.equal(one(card, "lcsse-interrupt-title").textContent, "approval needed");
  assert.equal(one(card, "lcsse-action-name").textContent, "multiply");
  assert.equal(one(card, "lcsse-action-head").textContent, "tool multiply");
  assert.equal(one(card, "lcsse-action-description").textContent, "Multiply two numbers");
  assert.equal(one(card, "lcsse-action-args").textContent, JSON.stringify({ a: 6, b: 7 }, null, 2));
  assert.deepEqual(buttons(root).map((b) => [b.className, b.textContent]), [["lcsse-approve", "Approve"], ["lcsse-reject", "Reject"]]);
  // The interrupts block comes right after the prompt.
  assert.deepEqual(root.children.slice(0, 2).map((c) => c.className), ["lcsse-form", "lcsse-interrupts"]);

  button(card, "lcsse-approve").click();
  assert.deepEqual(model.sent, [{ type: "resume", value: { i1: { type: "approve" } } }]);
  await settle();
  // The resumed run is starting: the card stays, read-only, with its decision.
  const sent = one(root, "lcsse-interrupt");
  assert.equal(sent.dataset.state, "sent");
  assert.equal(one(sent, "lcsse-interrupt-decision").textContent, "approved");
  assert.equal(one(sent, "lcsse-action-decision").textContent, "approved");
  assert.ok(buttons(root).every((b) => b.disabled), "every control disabled");
  assert.match(one(root, "lcsse-status").textContent, /^starting/);
});

test("approval card when Edit with bad JSON then the error shows and nothing is sent; a fixed edit sends edited_action", async () => {
  const { model, root } = await interruptedKernelView("int-edit", [perCall("i1")]);
  button(root, "lcsse-edit").click();
  const box = one(root, "lcsse-edit-args");
  assert.equal(box.tagName, "TEXTAREA");
  assert.equal(box.value, JSON.stringify({ a: 6, b: 7 }, null, 2), "the arguments, editable");
  box.value = '{"a": 6, "b": ';
  button(root, "lcsse-confirm").click();
  const error = one(root, "lcsse-action-error");
  assert.equal(error.hidden, false);
  assert.match(error.textContent, /^not valid JSON: /);
  box.value = "[1, 2]";
  button(root, "lcsse-confirm").click();
  assert.equal(error.textContent, "the arguments must be a JSON object");
  assert.deepEqual(model.sent, [], "nothing sent");
  box.value = '{"a": 6, "b": 8}';
  button(root, "lcsse-confirm").click();
  assert.deepEqual(model.sent, [{ type: "resume", value: { i1: { type: "edit", edited_action: { name: "multiply", args: { a: 6, b: 8 } } } } }]);
  await settle();
  assert.equal(one(root, "lcsse-interrupt-decision").textContent, "edited");
  assert.equal(one(root, "lcsse-action-edited").textContent, JSON.stringify({ a: 6, b: 8 }, null, 2));
});

test("approval card when Reject with and without a message then exactly the contract's decision", async () => {
  for (const [message, expected, label] of [
    ["  not now  ", { type: "reject", message: "not now" }, "rejected: not now"],
    ["", { type: "reject" }, "rejected"],
  ]) {
    const { model, root } = await interruptedKernelView(`int-reject-${message.length}`, [perCall("i1")]);
    button(root, "lcsse-reject").click();
    const input = one(root, "lcsse-reject-message");
    assert.equal(input.tagName, "INPUT");
    input.value = message;
    button(root, "lcsse-confirm").click();
    assert.deepEqual(model.sent, [{ type: "resume", value: { i1: expected } }]);
    await settle();
    assert.equal(one(root, "lcsse-interrupt-decision").textContent, label);
  }
});

test("approval card when Respond then a message is required, then sent as the tool's answer", async () => {
  const interrupt = perCall("i1", { allowed_decisions: ["respond", "approve"] });
  const { model, root } = await interruptedKernelView("int-respond", [interrupt]);
  assert.deepEqual(buttons(root).map((b) => b.textContent), ["Approve", "Respond"], "in the cards' order");
  button(root, "lcsse-respond").click();
  button(root, "lcsse-confirm").click();
  assert.equal(one(root, "lcsse-action-error").textContent, "a response is required");
  assert.deepEqual(model.sent, []);
  one(root, "lcsse-respond-message").value = "42, computed by hand";
  button(root, "lcsse-confirm").click();
  assert.deepEqual(model.sent, [{ type: "resume", value: { i1: { type: "respond", message: "42, computed by hand" } } }]);
});

test("approval card when batched with two actions then one map with both decisions, in order, after both", async () => {
  const interrupt = batched("b1", [action(), action({ tool_call_id: "call_2", name: "search", args: { q: "sse" }, description: "Search" })]);
  const { model, root } = await interruptedKernelView("int-batched", [interrupt]);
  const actions = root.byClass("lcsse-action");
  assert.equal(actions.length, 2);
  assert.deepEqual(actions.map((a) => one(a, "lcsse-action-name").textContent), ["multiply", "search"]);
  const progress = one(root, "lcsse-interrupt-decision");
  assert.equal(progress.textContent, "0 of 2 decided");
  // The second first: nothing goes until both have a decision.
  button(actions[1], "lcsse-reject").click();
  one(actions[1], "lcsse-reject-message").value = "no search";
  button(actions[1], "lcsse-confirm").click();
  assert.deepEqual(model.sent, []);
  assert.equal(progress.textContent, "1 of 2 decided");
  assert.equal(actions[1].dataset.decision, "reject");
  assert.equal(one(actions[1], "lcsse-action-decision").textContent, "rejected: no search");
  assert.equal(one(actions[0], "lcsse-action-decision").hidden, true);
  button(actions[0], "lcsse-approve").click();
  assert.deepEqual(model.sent, [
    { type: "resume", value: { b1: { decisions: [{ type: "approve" }, { type: "reject", message: "no search" }] } } },
  ]);
});

test("cards when several interrupts are open then one resume, a map over all of them, once all are answered", async () => {
  const interrupts = [perCall("i1"), inputInterrupt("i2", { question: "Which unit?" })];
  const { model, root } = await interruptedKernelView("int-several", interrupts);
  const note = one(root, "lcsse-interrupts-note");
  assert.equal(note.hidden, false);
  assert.match(note.textContent, /^0 of 2 answered/);
  const [approval, input] = root.byClass("lcsse-interrupt");
  one(input, "lcsse-reply").value = "metres";
  button(input, "lcsse-resume").click();
  assert.deepEqual(model.sent, []);
  assert.equal(input.dataset.state, "answered");
  assert.match(note.textContent, /^1 of 2 answered/);
  button(approval, "lcsse-approve").click();
  assert.deepEqual(model.sent, [{ type: "resume", value: { i1: { type: "approve" }, i2: "metres" } }]);
  await settle();
  const sent = root.byClass("lcsse-interrupt");
  assert.deepEqual(sent.map((c) => c.dataset.state), ["sent", "sent"]);
  assert.deepEqual(sent.map((c) => one(c, "lcsse-interrupt-decision").textContent), ["approved", "answered: metres"]);
});

// ---------------------------------------------------------------------- input card --

test("input card when a plain reply then the text as typed (JSON-looking too) under the question", async () => {
  const value = { question: "How many?", context: { max: 3 } };
  const { model, root } = await interruptedKernelView("int-input", [inputInterrupt("q1", value)]);
  const card = one(root, "lcsse-interrupt");
  assert.equal(card.dataset.kind, "input");
  assert.equal(one(card, "lcsse-interrupt-title").textContent, "input needed");
  assert.equal(one(card, "lcsse-interrupt-question").textContent, "How many?");
  assert.equal(one(card, "lcsse-interrupt-value").textContent, JSON.stringify(value, null, 2));
  const reply = one(card, "lcsse-reply");
  assert.equal(reply.tagName, "TEXTAREA");
  assert.equal(one(card, "lcsse-resume").textContent, "Resume");
  reply.value = "3";
  button(card, "lcsse-resume").click();
  assert.deepEqual(model.sent, [{ type: "resume", value: { q1: "3" } }], "a string, not the number 3");
  await settle();
  assert.equal(one(root, "lcsse-interrupt-decision").textContent, "answered: 3");
  assert.equal(one(root, "lcsse-reply").disabled, true);
  assert.equal(one(root, "lcsse-reply").value, "3");
});

test("input card when the value is a string or a lone question then shown as it is", async () => {
  const { root } = await interruptedKernelView("int-input-str", [inputInterrupt("q1", "Your name?\nFirst name only."), inputInterrupt("q2", { message: "Sure?" })]);
  const [first, second] = root.byClass("lcsse-interrupt");
  assert.equal(one(first, "lcsse-interrupt-value").textContent, "Your name?\nFirst name only.");
  assert.equal(one(first, "lcsse-interrupt-question").hidden, true);
  assert.equal(one(second, "lcsse-interrupt-question").textContent, "Sure?");
  assert.equal(one(second, "lcsse-interrupt-value").hidden, true, "nothing but the question: not twice");
});

const SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string", title: "Name" },
    age: { type: "integer", description: "in years" },
    ratio: { type: "number" },
    unit: { type: "string", enum: ["m", "ft"] },
    ok: { type: "boolean" },
  },
  required: ["name", "age"],
};

test("input card when a simple response_schema then a form, required ones marked, the object sent", async () => {
  const { model, root } = await interruptedKernelView("int-form", [inputInterrupt("q1", "Who?", { response_schema: SCHEMA })]);
  assert.equal(root.byClass("lcsse-reply").length, 0, "no reply box");
  const fields = one(root, "lcsse-reply-form").byClass("lcsse-field");
  assert.deepEqual(fields.map((f) => one(f, "lcsse-field-name").textContent), ["Name", "age", "ratio", "unit", "ok"]);
  assert.deepEqual(fields.map((f) => f.byClass("lcsse-field-required").length), [1, 1, 0, 0, 0]);
  const input = (name) => fields.map((f) => one(f, "lcsse-field-input")).find((c) => c.getAttribute("name") === name);
  assert.equal(input("unit").tagName, "SELECT");
  assert.deepEqual(input("unit").children.map((o) => o.textContent), ["", "m", "ft"]);
  assert.equal(input("ok").type, "checkbox");
  assert.equal(input("age").type, "number");
  const error = one(root, "lcsse-interrupt-error");
  button(root, "lcsse-resume").click();
  assert.equal(error.textContent, "Name is required");
  input("name").value = "Ada";
  input("age").value = "36.5";
  button(root, "lcsse-resume").click();
  assert.equal(error.textContent, "age must be an integer");
  assert.deepEqual(model.sent, []);
  input("age").value = "36";
  input("ratio").value = "0.5";
  input("unit").value = "1"; // the options' index: "" is none
  input("ok").checked = true;
  button(root, "lcsse-resume").click();
  assert.deepEqual(model.sent, [{ type: "resume", value: { q1: { name: "Ada", age: 36, ratio: 0.5, unit: "ft", ok: true } } }]);
});

test("form fields when the schema is not simple then none (a reply box)", () => {
  assert.equal(formFields(null), null);
  assert.equal(formFields({ type: "string" }), null);
  assert.equal(formFields({ type: "object", properties: {} }), null);
  assert.equal(formFields({ type: "object", properties: { a: { type: "array" } } }), null);
  assert.equal(formFields({ type: "object", properties: { a: { type: ["string", "null"] } } }), null);
  assert.equal(formFields({ type: "object", properties: { a: { type: "string", enum: [{}] } } }), null);
  assert.equal(formFields({ type: "object", properties: { a: { type: "string" } } }).length, 1);
});

// ------------------------------------------------------------------------ kernel side --

test("kernel transport when the kernel starts the resumed run then the cards show decided, then the new run's", async () => {
  const { model, root } = await interruptedKernelView("int-kernel-run", [perCall("i1")]);
  button(root, "lcsse-approve").click();
  model.kernelSets({ status: "starting", run_id: "r2", interrupts: [] });
  model.kernelSends({ type: "frames", run_id: "r2", after: 0, last: 2, frames: frame("tool_result", { id: "call_1", name: "multiply", content: "42" }, 1) + frame("message", "It is 42.", 2) });
  await settle();
  assert.equal(one(root, "lcsse-interrupt").dataset.state, "sent", "kept above the resumed run");
  assert.equal(one(root, "lcsse-output").textContent, "It is 42.");
  assert.match(one(root, "lcsse-status").textContent, /^streaming/);
  // A later run the kernel starts (w.ask()): the answered cards go.
  model.kernelSets({ status: "starting", run_id: "r3" });
  await settle();
  assert.equal(root.byClass("lcsse-interrupt").length, 0);
  assert.equal(one(root, "lcsse-interrupts").hidden, true);
});

test("kernel transport when w.resume() runs in the kernel then the open cards clear and the status is the new run's", async () => {
  const { model, root } = await interruptedKernelView("int-kernel-resume", [perCall("i1")]);
  model.kernelSets({ status: "starting", run_id: "r2", interrupts: [] }); // the kernel's own resume
  await settle();
  assert.equal(root.byClass("lcsse-interrupt").length, 0);
  assert.match(one(root, "lcsse-status").textContent, /^starting/, "not 'waiting for you'");
  assert.deepEqual(model.sent, []);
});

test("kernel transport when the kernel refuses the resume then its error and the cards answerable again", async () => {
  const { model, root } = await interruptedKernelView("int-kernel-refuse", [perCall("i1")]);
  button(root, "lcsse-approve").click();
  model.kernelSets({ status: "error", error: "approve is not allowed for multiply", interrupts: [perCall("i1")] });
  await settle();
  assert.match(one(root, "lcsse-status").textContent, /error: approve is not allowed for multiply/);
  assert.equal(one(root, "lcsse-interrupt").dataset.state, "open");
  assert.equal(button(root, "lcsse-approve").disabled, false);
});

test("views when rendered after the run ended interrupted then the cards come from the interrupts trait", async () => {
  installDocument("_xsrf=t");
  globalThis.fetch = async () => assert.fail("no request");
  for (const make of [kernelModel, serverModel]) {
    const model = make({ _store_key: `int-later-${make.name}`, status: "interrupted", run_id: "r1", events_url: "/base/lcsse/api/runs/r1/events", interrupts: [perCall("i1"), { kind: "input" }] });
    const root = view(model);
    await settle();
    assert.equal(root.byClass("lcsse-interrupt").length, 1, make.name);
    assert.match(one(root, "lcsse-status").textContent, /^waiting for you/);
    assert.deepEqual(model.sent, [], "no replay asked");
  }
});

// ------------------------------------------------------------------------ server side --

const RESUMED = [
  frame("metadata", { run_id: "run2" }),
  frame("tool_result", { id: "call_1", name: "multiply", content: "42" }, 1),
  frame("message", "It is 42.", 2),
  frame("end", { reason: "complete", chunks: 1, ttft_ms: 3, elapsed_ms: 9 }, 3),
].join("");

/** The lcsse API: POST runs answers with `posts` in turn (201, or [status, message]). */
function apiFetch({ posts = [201, 201], events = [] } = {}) {
  const requests = [];
  let runs = 0;
  const fetch = async (url, init = {}) => {
    const method = init.method ?? "GET";
    requests.push({ method, url, headers: { ...(init.headers ?? {}) }, body: init.body });
    if (method === "POST") {
      const answer = posts.shift() ?? 201;
      if (answer !== 201) return new Response(JSON.stringify({ message: answer[1], reason: null }), { status: answer[0] });
      runs += 1;
      return new Response(JSON.stringify({ id: `run${runs}`, events_url: `/base/lcsse/api/runs/run${runs}/events`, status: "running" }), { status: 201 });
    }
    const next = events.shift();
    return next === undefined ? new Response(null, { status: 204 }) : new Response(next, { status: 200 });
  };
  return { fetch, requests };
}

/** A server-transport view whose Ask ran into the interrupts. */
async function interruptedServerView(key, interrupts, { posts, resumed = RESUMED, extra = {} } = {}) {
  installDocument("_xsrf=tok%7C1");
  const api = apiFetch({ posts: [201, ...(posts ?? [201])], events: [interruptedStream(interrupts, { threadId: "t1" }), resumed] });
  globalThis.fetch = api.fetch;
  const model = serverModel({ _store_key: key, autostart: false, config: { configurable: { thread_id: "t1" }, tags: ["x"] }, mode: "graph", ...extra });
  const root = view(model);
  one(root, "lcsse-ask").click();
  await settle(50);
  return { model, root, requests: api.requests };
}

test("server transport when the run ends interrupted then status and interrupts are saved for the kernel", async () => {
  const { model, root } = await interruptedServerView("int-server-end", [perCall("i1")]);
  assert.equal(model.get("status"), "interrupted");
  assert.deepEqual(model.get("interrupts"), [perCall("i1")]);
  assert.ok(model.saved.some((values) => values.status === "interrupted" && Array.isArray(values.interrupts)));
  assert.equal(one(root, "lcsse-interrupt").dataset.state, "open");
});

test("server transport when the cards are answered then POST runs with command.resume, config and XSRF, followed here", async () => {
  const { model, root, requests } = await interruptedServerView("int-server-resume", [perCall("i1")]);
  button(root, "lcsse-approve").click();
  await settle(50);
  const posts = requests.filter((r) => r.method === "POST");
  assert.equal(posts.length, 2);
  const resume = posts[1];
  assert.equal(resume.url, "/lcsse/api/runs");
  assert.equal(resume.headers["X-XSRFToken"], "tok|1");
  assert.equal(resume.headers["Content-Type"], "application/json");
  assert.deepEqual(JSON.parse(resume.body), {
    chain: "default",
    command: { resume: { i1: { type: "approve" } } },
    config: { configurable: { thread_id: "t1" }, tags: ["x"] },
    mode: "graph",
  });
  assert.equal(requests.at(-1).url, "/base/lcsse/api/runs/run2/events", "the resumed run is read here");
  assert.equal(requests.at(-1).headers["X-XSRFToken"], "tok|1");
  assert.equal(one(root, "lcsse-output").textContent, "It is 42.");
  assert.equal(one(root, "lcsse-interrupt").dataset.state, "sent", "the decision stays above");
  assert.equal(model.get("status"), "complete");
  assert.equal(model.get("run_id"), "run2");
  assert.deepEqual(model.get("interrupts"), []);
  // The kernel learns the answer the server took (its saved output shows the decision).
  assert.deepEqual(model.sent.filter((m) => m.type === "resumed"), [{ type: "resumed", value: { i1: { type: "approve" } } }]);
});

test("server transport when the config names no thread then the interrupted run's thread_id goes with the resume", async () => {
  const { root, requests } = await interruptedServerView("int-server-thread", [perCall("i1")], { extra: { config: {}, mode: "" } });
  button(root, "lcsse-approve").click();
  await settle(50);
  const body = JSON.parse(requests.filter((r) => r.method === "POST")[1].body);
  assert.deepEqual(body, { chain: "default", command: { resume: { i1: { type: "approve" } } }, config: { configurable: { thread_id: "t1" } } });
});

test("server transport when the resume is a 422 then its message shows and the cards are answerable again", async () => {
  const message = "action multiply allows approve, reject; got edit";
  const { model, root } = await interruptedServerView("int-server-422", [perCall("i1")], { posts: [[422, message]] });
  button(root, "lcsse-approve").click();
  await settle(50);
  assert.equal(one(root, "lcsse-status").textContent.endsWith(`error: HTTP 422: ${message}`), true);
  assert.equal(one(root, "lcsse-status").dataset.status, "error");
  assert.equal(one(root, "lcsse-interrupt").dataset.state, "open");
  assert.equal(button(root, "lcsse-approve").disabled, false);
  // Answered again: a second POST.
  button(root, "lcsse-approve").click();
  await settle(50);
  assert.equal(one(root, "lcsse-output").textContent, "It is 42.");
  assert.equal(model.get("status"), "complete");
});

for (const [status, message] of [
  [409, "chain 'default': a run of thread t1 is still running; wait for it to end"],
  [429, "too many runs at once (8): try again in a moment"],
  [500, "Internal Server Error"],
]) {
  test(`server transport when the resume is refused ${status} (not taken) then the cards are answerable again`, async () => {
    const { model, root } = await interruptedServerView(`int-server-${status}`, [perCall("i1")], { posts: [[status, message]] });
    button(root, "lcsse-approve").click();
    await settle(50);
    assert.match(one(root, "lcsse-status").textContent, new RegExp(`HTTP ${status}`));
    assert.equal(one(root, "lcsse-interrupt").dataset.state, "open");
    assert.equal(button(root, "lcsse-approve").disabled, false);
    button(root, "lcsse-approve").click(); // answered again, once the server takes it
    await settle(50);
    assert.equal(one(root, "lcsse-output").textContent, "It is 42.");
    assert.equal(model.get("status"), "complete");
  });
}

test("server transport when the resume is a 409 then its message shows and the card stays decided", async () => {
  const message = "chain 'default': this thread has no open interrupt to resume (it was answered already, or never asked)";
  const { root } = await interruptedServerView("int-server-409", [perCall("i1")], { posts: [[409, message]] });
  button(root, "lcsse-approve").click();
  await settle(50);
  assert.ok(one(root, "lcsse-status").textContent.endsWith(`error: HTTP 409: ${message}`));
  assert.equal(one(root, "lcsse-interrupt").dataset.state, "sent");
  assert.ok(buttons(root).every((b) => b.disabled));
});

test("server transport when the kernel starts the resumed run (w.resume()) then the page follows it and the cards clear", async () => {
  const { model, root, requests } = await interruptedServerView("int-server-kernel", [perCall("i1")]);
  model.kernelSets({ status: "starting", run_id: "k2", events_url: "/base/lcsse/api/runs/k2/events", interrupts: [] });
  await settle(50);
  assert.equal(requests.at(-1).url, "/base/lcsse/api/runs/k2/events");
  assert.equal(requests.filter((r) => r.method === "POST").length, 1, "the page posts nothing");
  assert.equal(root.byClass("lcsse-interrupt").length, 0);
  assert.equal(one(root, "lcsse-output").textContent, "It is 42.");
});

// ---------------------------------------------------------------------------- XSS --

const EVIL = "<img src=x onerror=alert(1)>";

test("cards when every field of the interrupts holds HTML then all of it is text", async () => {
  const evilAction = { tool_call_id: EVIL, name: EVIL, args: { [EVIL]: EVIL }, description: EVIL, allowed_decisions: ["approve", "edit", "reject", "respond", EVIL] };
  const interrupts = [
    { ...batched(EVIL, [evilAction, evilAction]) },
    inputInterrupt(`${EVIL}2`, { question: EVIL, [EVIL]: [EVIL] }),
    inputInterrupt(`${EVIL}3`, EVIL, { response_schema: { type: "object", properties: { [EVIL]: { type: "string", title: EVIL, description: EVIL, enum: [EVIL] } }, required: [EVIL] } }),
  ];
  const { model, root } = await interruptedKernelView("int-xss", interrupts);
  const block = one(root, "lcsse-interrupts");
  assert.equal(block.byClass("lcsse-interrupt").length, 3);
  button(block.byClass("lcsse-action")[0], "lcsse-edit").click(); // the edit box too
  button(block.byClass("lcsse-action")[1], "lcsse-approve").click();
  const texts = block.descendants().filter((n) => !n.tagName).map((n) => n.textContent);
  assert.ok(texts.filter((t) => t === EVIL).length >= 8, "names, descriptions, question, titles as text nodes");
  assert.ok(texts.some((t) => t.includes(JSON.stringify(EVIL))), "args and values as JSON text");
  for (const tag of ["img", "script", "iframe"]) assert.equal(root.all(tag).length, 0, tag);
  for (const n of block.descendants()) {
    if (n.tagName) assert.deepEqual(Object.keys(n.attributes).filter((a) => /^on/i.test(a)), [], n.tagName);
    if (n.tagName) assert.doesNotMatch(String(n.className), /img|onerror/);
  }
  assert.equal(buttons(block).filter((b) => b.textContent.includes("<")).length, 0, "no button from an unknown decision");
  // Answering them sends the hostile ids as keys, as they are.
  one(block, "lcsse-reply").value = EVIL;
  button(block.byClass("lcsse-interrupt")[1], "lcsse-resume").click();
  const select = one(block, "lcsse-field-input");
  select.value = "0";
  button(block.byClass("lcsse-interrupt")[2], "lcsse-resume").click();
  button(block.byClass("lcsse-action")[0], "lcsse-approve").click();
  assert.deepEqual(Object.keys(model.sent[0].value), [EVIL, `${EVIL}2`, `${EVIL}3`]);
  assert.deepEqual(model.sent[0].value[`${EVIL}3`], { [EVIL]: EVIL });
});

test("store when an interrupt payload is malformed then no card for it and nothing throws", () => {
  installDocument();
  const model = new FakeModel({ ...kernelModel().state, _store_key: "int-bad" });
  const store = new RunStore(model);
  const junk = [null, 1, "x", [], {}, { id: "" }, { id: "a", kind: "approval", actions: "no" }, { id: "b", kind: "approval", actions: [null, 3] }];
  const text = junk.map((j, i) => frame("interrupt", JSON.stringify(j), i + 1)).join("") + frame("end", { reason: "interrupted" }, 99);
  assert.doesNotThrow(() => model.kernelSends({ type: "frames", run_id: "r1", after: 0, last: 99, frames: text }));
  assert.equal(store.status, "interrupted");
  // The approvals whose actions cannot be read fall back to showing their value as an input.
  assert.deepEqual(store.interrupts.map((i) => [i.id, i.kind]), [["a", "input"], ["b", "input"]]);
});

test("tool call when its approval is pending at the end then its card says it waits, not running", async () => {
  const run = new RunEvents();
  const apply = (type, data) => run.apply({ type, data: JSON.stringify(data), id: null });
  apply("tool_call_start", { id: "call_1", name: "calculator" });
  apply("tool_call_start", { id: "call_2", name: "search" });
  apply("tool_call_end", { id: "call_1", name: "calculator", args: {} });
  apply("tool_call_end", { id: "call_2", name: "search", args: {} });
  apply("interrupt", { id: "a", kind: "approval", mode: "batched", actions: [{ tool_call_id: "call_1", name: "calculator", args: {}, allowed_decisions: ["approve"] }] });
  apply("end", { reason: "interrupted", interrupts: ["a"] });
  assert.deepEqual(run.toolCalls.map((c) => Boolean(c.awaitingApproval)), [true, false]);
  assert.deepEqual(run.toolCalls.map((c) => c.state), ["called", "called"]); // the shared vectors' field is unchanged
});
