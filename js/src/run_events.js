// RunEvents: one run's typed state (answer text, reasoning, tool calls, sources, steps,
// usage, end) folded from its parsed SSE events. Pure: no DOM, no model, no transport.
// Its Python twin is jupyter_lcsse's RunState; tests/vectors/run_events.json holds the
// streams both must read alike.
//
// Typed events share the run's id sequence: no `event:` line is answer text,
// `reasoning` is plain text, `tool_call_start|delta|end`, `tool_result`, `step`,
// `sources`, `usage`, `data`, `state`, `interrupt`, `error`, `end` and `metadata` carry
// JSON (docs/protocol.md). An unknown event name is kept (`events`, the wire panel) and
// not rendered. A run that stops for a human sends one `interrupt` per open interrupt,
// then `end` with reason "interrupted" (its `interrupts` ids and `thread_id` are kept in
// `end`); the payloads are kept as they came, in order, one per id.

import { asText, isObject, parseJSON } from "./values.js";

/** Events that count as chunks, as the first token and as "streaming". */
const CHUNK_EVENTS = new Set(["message", "reasoning", "tool_call_start", "tool_call_delta", "sources", "data"]);
const EVENTS_LIMIT = 5000;
const INTERRUPTS_LIMIT = 100; // open interrupts of one run kept (a card each)
const USAGE_KEYS = ["input_tokens", "output_tokens", "total_tokens"];

/** The numeric token counts of a usage object, or null when it has none. */
function usageOf(value) {
  if (!isObject(value)) return null;
  const usage = {};
  let any = false;
  for (const key of USAGE_KEYS) {
    const n = value[key];
    usage[key] = Number.isFinite(n) ? n : 0;
    any ||= Number.isFinite(n);
  }
  if (!any) return null;
  if (!Number.isFinite(value.total_tokens)) usage.total_tokens = usage.input_tokens + usage.output_tokens;
  return usage;
}

/**
 * One run's typed state, from its parsed SSE events ({type, data, id}), in order.
 *
 * Pure: no DOM, no model. `apply` never throws, whatever the payload; it returns true
 * when the event counts as a chunk (message, reasoning, tool_call_start,
 * tool_call_delta, sources, data). `end` carries the run's own totals: its `chunks`,
 * `finish_reason` and (when not null) `usage` replace what the events added up to.
 */
export class RunEvents {
  constructor() {
    this.text = ""; // the answer: the message text since the last tool call or result
    this.reasoning = "";
    /** In order of their first event: {id, name, argsText, args, result, resultStatus, state}. */
    this.toolCalls = [];
    this.callsById = new Map();
    this.sources = []; // documents: {page_content, metadata}
    this.steps = []; // started and not finished yet, innermost last
    this.usage = null; // {input_tokens, output_tokens, total_tokens}, summed
    this.finishReason = null;
    this.graphState = null;
    this.interrupts = []; // `interrupt` payloads, in order of their first event; one per id
    this.metadata = null;
    this.error = "";
    this.end = null; // the end event's payload ({} when it was not JSON)
    this.chunks = 0;
    this.firstTokenSeen = false;
    this.events = []; // every event applied (the newest EVENTS_LIMIT), unknown ones too
    this.version = 0; // bumped by every event: views redraw when it changes
  }

  /** The current step: the last one started and not finished, or null. */
  get step() {
    const step = this.steps[this.steps.length - 1];
    return step ? { name: step.name, kind: step.kind } : null;
  }

  get ended() {
    return this.end !== null;
  }

  /** Apply one parsed event; true when it counts as a chunk. */
  apply(event) {
    if (!event || typeof event !== "object") return false;
    const type = typeof event.type === "string" && event.type ? event.type : "message";
    const data = typeof event.data === "string" ? event.data : asText(event.data);
    this.events.push(event);
    if (this.events.length > EVENTS_LIMIT) this.events.splice(0, this.events.length - EVENTS_LIMIT);
    this.version += 1;
    try {
      this.dispatch(type, data);
    } catch (_) {
      /* a payload of an unexpected shape: keep what was applied before */
    }
    if (!CHUNK_EVENTS.has(type)) return false;
    this.chunks += 1;
    this.firstTokenSeen = true;
    return true;
  }

  dispatch(type, data) {
    switch (type) {
      case "message":
        this.text += data;
        return;
      case "reasoning":
        this.reasoning += data;
        return;
      case "data":
        return;
      case "error": {
        const error = parseJSON(data);
        this.error = isObject(error) && error.message != null ? asText(error.message) : data;
        return;
      }
      case "end":
        this.endEvent(parseJSON(data));
        return;
      case "interrupt":
        this.interruptEvent(parseJSON(data));
        return;
      case "metadata": {
        const metadata = parseJSON(data);
        if (isObject(metadata)) this.metadata = metadata;
        return;
      }
      case "state": {
        const state = parseJSON(data);
        if (state !== undefined) this.graphState = state;
        return;
      }
      case "usage": {
        const usage = usageOf(parseJSON(data));
        if (!usage) return;
        const sum = this.usage ?? { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
        for (const key of USAGE_KEYS) sum[key] += usage[key];
        this.usage = sum;
        return;
      }
      case "sources": {
        const payload = parseJSON(data);
        const documents = Array.isArray(payload) ? payload : isObject(payload) ? payload.documents : null;
        if (!Array.isArray(documents)) return;
        for (const doc of documents) {
          if (!isObject(doc)) continue;
          this.sources.push({
            page_content: asText(doc.page_content),
            metadata: isObject(doc.metadata) ? doc.metadata : {},
          });
        }
        return;
      }
      case "step":
        this.stepEvent(parseJSON(data));
        return;
      case "tool_call_start":
      case "tool_call_delta":
      case "tool_call_end":
      case "tool_result":
        this.toolEvent(type, parseJSON(data));
        return;
      default:
        return; // unknown: kept in `events`, nothing else
    }
  }

  endEvent(end) {
    this.end = isObject(end) ? end : {};
    if (Number.isFinite(this.end.chunks)) this.chunks = this.end.chunks;
    if (typeof this.end.finish_reason === "string") this.finishReason = this.end.finish_reason;
    const usage = usageOf(this.end.usage);
    if (usage) this.usage = usage;
    this.steps = []; // the run is over: no step is running
    if (this.end.reason === "interrupted") {
      // The calls an approval is about have not run: their cards say they wait.
      const waiting = new Set(this.interrupts.flatMap((i) => (Array.isArray(i.actions) ? i.actions : []).map((a) => a?.tool_call_id)));
      for (const call of this.toolCalls) if (waiting.has(call.id) && call.result === null) call.awaitingApproval = true;
    }
  }

  /** An open interrupt: a repeat of an id replaces the payload in its place. */
  interruptEvent(payload) {
    if (!isObject(payload) || payload.id == null || payload.id === "") return;
    const interrupt = { ...payload, id: asText(payload.id) };
    const index = this.interrupts.findIndex((i) => i.id === interrupt.id);
    if (index === -1) {
      if (this.interrupts.length < INTERRUPTS_LIMIT) this.interrupts.push(interrupt);
    } else {
      this.interrupts[index] = interrupt;
    }
  }

  stepEvent(step) {
    if (!isObject(step) || step.name == null) return;
    const name = asText(step.name);
    const kind = step.kind == null ? "" : asText(step.kind);
    if (step.status === "started") {
      this.steps.push({ name, kind });
    } else if (step.status === "finished") {
      for (let i = this.steps.length - 1; i >= 0; i -= 1) {
        const s = this.steps[i];
        if (s.name === name && (!kind || !s.kind || s.kind === kind)) {
          this.steps.splice(i, 1);
          break;
        }
      }
    }
  }

  /** The call with this id; without an id, the newest call still waiting for its result. */
  call(id, { create = true } = {}) {
    const key = id === null || id === undefined || id === "" ? null : asText(id);
    if (key !== null && this.callsById.has(key)) return this.callsById.get(key);
    if (key === null && !create) {
      for (let i = this.toolCalls.length - 1; i >= 0; i -= 1) {
        if (this.toolCalls[i].result === null) return this.toolCalls[i];
      }
    }
    // The answer so far was a preface to this call: the final answer starts after it.
    const call = { id: key, name: "", argsText: "", args: null, result: null, resultStatus: null, state: "streaming", preface: this.text };
    this.text = "";
    this.toolCalls.push(call);
    if (key !== null) this.callsById.set(key, call);
    return call;
  }

  toolEvent(type, payload) {
    if (!isObject(payload)) return;
    const call = this.call(payload.id, { create: type === "tool_call_start" });
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
      this.text = ""; // text before a tool's result is not the final answer either
      call.result = asText(payload.content);
      call.resultStatus = typeof payload.status === "string" ? payload.status : "success";
      call.state = call.resultStatus === "error" ? "error" : "done";
    }
  }
}
