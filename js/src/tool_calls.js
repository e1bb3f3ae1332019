// One agent's tool calls, folded from tool_call_start|delta|end and tool_result events.
// The run's root agent has a table and so does each subagent (subagents.js): a
// subagent's call ids are its own (a nested agent numbers its calls from call_0_0
// again), so each table looks ids up only among its own calls.
//
// What the model wrote before a call is its preface ("Let me compute that."): the
// owner says what that text is (`takePreface`, asked when a call appears) and is told
// when a result comes (`resultCame`): the text since the last call or result is the
// owner's answer so far. Pure: no DOM.

import { asText, isObject } from "./values.js";

export const TOOL_CALLS_LIMIT = 1000; // calls kept per agent: a hostile stream cannot grow it without end

export class ToolCalls {
  /**
   * `owner`: {takePreface() -> string, resultCame(), added(call)}; `nextSeq()` numbers
   * every call and subagent of the run in order of its first event (the view's order).
   */
  constructor(owner, nextSeq) {
    this.owner = owner;
    this.nextSeq = nextSeq;
    /** In order of their first event: {kind, seq, id, name, argsText, args, result, resultStatus, state, preface, subagents}. */
    this.list = [];
    this.byId = new Map();
  }

  /** The call with this id; without an id, the newest call still waiting for its result. */
  call(id, { create = true } = {}) {
    const key = id === null || id === undefined || id === "" ? null : asText(id);
    if (key !== null && this.byId.has(key)) return this.byId.get(key);
    if (key === null && !create) {
      for (let i = this.list.length - 1; i >= 0; i -= 1) {
        if (this.list[i].result === null) return this.list[i];
      }
    }
    if (this.list.length >= TOOL_CALLS_LIMIT) return null;
    // The text so far was a preface to this call: the answer starts after it.
    const call = {
      kind: "call",
      seq: this.nextSeq(),
      id: key,
      name: "",
      argsText: "",
      args: null,
      result: null,
      resultStatus: null,
      state: "streaming",
      preface: this.owner.takePreface(),
      subagents: [], // the subagents this call started (their tool_call_id), in order
    };
    this.list.push(call);
    if (key !== null) this.byId.set(key, call);
    this.owner.added(call);
    return call;
  }

  /** Apply a tool_call_start|delta|end or tool_result payload. */
  apply(type, payload) {
    if (!isObject(payload)) return;
    const call = this.call(payload.id, { create: type === "tool_call_start" });
    if (!call) return;
    if (payload.name != null && (type !== "tool_call_delta" || !call.name)) {
      const name = asText(payload.name);
      if (name) call.name = name;
    }
    if (type === "tool_call_delta") {
      if (payload.args_delta != null) call.argsText += asText(payload.args_delta);
    } else if (type === "tool_call_end") {
      if (payload.args !== undefined) call.args = payload.args;
      if (call.state === "streaming") call.state = "called";
    } else if (type === "tool_result") {
      this.owner.resultCame(); // text before a tool's result is not the answer either
      call.result = asText(payload.content);
      call.resultStatus = typeof payload.status === "string" ? payload.status : "success";
      call.state = call.resultStatus === "error" ? "error" : "done";
    }
  }

  /** The run stopped for a human: the calls an approval is about say they wait. */
  markWaiting(ids) {
    for (const call of this.list) if (ids.has(call.id) && call.result === null) call.awaitingApproval = true;
  }
}
