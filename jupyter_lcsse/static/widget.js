// jupyter-lcsse StreamWidget view: one SSE parser, two transports, one store per model.
//
// This file is one ES module (anywidget sends its text as is: no build, no imports), in
// four sections:
//   (1) transport       SSEParser (the bytes to events), ServerStream (fetch + reconnect)
//   (2) event dispatch  RunEvents: parsed events to the run's typed state (no DOM, no model)
//   (3) the store       RunStore: one per model and page, one RunEvents per run
//   (4) the view        the markdown renderer, statusLine, the cards, render()
//
// - server transport: the kernel starts runs itself when it can find its server (so one
//   `w.ask(new_input)` is one run, with that input, however many views show it); the
//   browser reads the run's event stream with fetch and the parser below, reconnecting
//   as EventSource does (wait `retry` ms, send Last-Event-ID, stop on 204 or `end`).
//   Why fetch and not EventSource: the wire panel shows the raw frames, which
//   EventSource hides, and both transports then go through one parser. Every request
//   carries `X-XSRFToken` from the `_xsrf` cookie, GETs included: JupyterHub's
//   single-user servers treat a cookie-authenticated request without it as anonymous
//   (403). A native EventSource cannot set headers; it needs `?_xsrf=` in its URL.
// - kernel transport: the kernel sends batches of the same SSE text as comm messages
//   ({type: "frames", run_id, after, last, frames}); they go through the same parser.
//
// Typed events share the run's id sequence: no `event:` line is answer text,
// `reasoning` is plain text, `tool_call_start|delta|end`, `tool_result`, `step`,
// `sources`, `usage`, `data`, `state`, `error`, `end` and `metadata` carry JSON. An
// unknown event name is kept (RunEvents.events, the wire panel) and not rendered.
//
// One `RunStore` per model and page, made in anywidget's `initialize` (once per model,
// before any view): it receives every batch from the model's creation on, keeps the
// run's state, the frames and the status, and every view renders from it. A re-rendered
// view (the saved output refreshed at the end of a stream, `display(w)` again) therefore
// asks the kernel for nothing, and shows live tokens while the kernel runs other cells: a
// comm message from the browser would wait on the kernel's shell channel until they
// finish. Batches are applied by event id (`after`..`last`): a repeat is dropped, and
// only a page that missed the start of a run (opened later) asks for a replay, of what
// it lacks.
//
// Status line: "first token" is what this page measured (from the start it saw to the
// first chunk it showed) and never changes once shown; only a page that did not see
// the start shows the run's own figure, from the end event or the trait.
//
// Nothing from an event is ever parsed as HTML: text is set with textContent, elements
// are made with createElement and attributes with setAttribute, and the markdown
// renderer builds DOM nodes from text, so `<script>` or `<img onerror=...>` in a token,
// a tool's name, its arguments or result, or a source's title shows as text. Links only
// ever point to http(s) (markdown) or https (sources) addresses.

// ================================================================ (1) transport ==

// ------------------------------------------------------------- the SSE parser --

/** Incremental parser per the WHATWG "interpreting an event stream" rules. */
export class SSEParser {
  constructor() {
    // ignoreBOM: keep it, so that the parser drops exactly one, as the standard says
    this.decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    this.buffer = "";
    this.started = false;
    this.afterCR = false;
    this.data = null; // array of data lines, null when empty
    this.eventType = "";
    this.idBuffer = "";
    this.lastEventId = "";
    this.retry = null;
  }

  /** Feed a chunk (Uint8Array or string); returns the events it completed. */
  feed(chunk) {
    const text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    return this._consume(text);
  }

  /** End of stream: an event without its blank line is dropped, per the standard. */
  close() {
    const events = this._consume(this.decoder.decode());
    this.buffer = "";
    this.data = null;
    this.eventType = "";
    return events;
  }

  _consume(text) {
    const events = [];
    if (!text) return events;
    if (this.afterCR) {
      this.afterCR = false;
      if (text[0] === "\n") text = text.slice(1);
    }
    let buffer = this.buffer + text;
    if (!this.started && buffer.length) {
      this.started = true;
      if (buffer[0] === "\ufeff") buffer = buffer.slice(1);
    }
    let pos = 0;
    const end = buffer.length;
    while (pos < end) {
      const cr = buffer.indexOf("\r", pos);
      const lf = buffer.indexOf("\n", pos);
      if (cr === -1 && lf === -1) break;
      let line;
      if (cr === -1 || (lf !== -1 && lf < cr)) {
        line = buffer.slice(pos, lf);
        pos = lf + 1;
      } else if (cr === end - 1) {
        line = buffer.slice(pos, cr);
        pos = cr + 1;
        this.afterCR = true;
      } else {
        line = buffer.slice(pos, cr);
        pos = buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
      }
      const event = this._line(line);
      if (event) events.push(event);
    }
    this.buffer = buffer.slice(pos);
    return events;
  }

  _line(line) {
    if (line === "") return this._dispatch();
    if (line[0] === ":") return null;
    const colon = line.indexOf(":");
    let name = line;
    let value = "";
    if (colon !== -1) {
      name = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value[0] === " ") value = value.slice(1);
    }
    if (name === "data") {
      if (this.data === null) this.data = [];
      this.data.push(value);
    } else if (name === "event") {
      this.eventType = value;
    } else if (name === "id") {
      if (!value.includes("\0")) this.idBuffer = value;
    } else if (name === "retry") {
      if (/^[0-9]+$/.test(value)) this.retry = parseInt(value, 10);
    }
    return null;
  }

  _dispatch() {
    this.lastEventId = this.idBuffer;
    if (this.data === null) {
      this.eventType = "";
      return null;
    }
    const event = {
      type: this.eventType || "message",
      data: this.data.join("\n"),
      id: this.lastEventId || null,
    };
    this.data = null;
    this.eventType = "";
    return event;
  }
}

// ------------------------------------------- the server transport: ServerStream --

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

/** Jupyter's XSRF token: the `_xsrf` cookie, as JupyterLab's own requests send it. */
export function xsrfToken() {
  const cookie = (document.cookie || "").split(/;\s*/).find((c) => c.startsWith("_xsrf="));
  return cookie ? decodeURIComponent(cookie.slice(6)) : "";
}

async function apiError(response) {
  try {
    const body = await response.json();
    return `HTTP ${response.status}: ${body.message || response.statusText}`;
  } catch (_) {
    return `HTTP ${response.status}: ${response.statusText}`;
  }
}

/** A run on the server, followed like EventSource does, with the raw bytes exposed. */
export class ServerStream {
  constructor(base, { onFrames, onEvents, onReconnect, onFailure }) {
    this.base = base;
    this.abort = new AbortController();
    this.onFrames = onFrames;
    this.onEvents = onEvents;
    this.onReconnect = onReconnect;
    this.onFailure = onFailure;
    this.runId = null;
    this.eventsUrl = null;
    this.lastEventId = "";
    this.retry = 2000;
    this.ended = false;
  }

  /** Every request: same-origin cookies and Jupyter's XSRF header (GETs included). */
  request(url, { headers = {}, ...init } = {}) {
    return fetch(url, {
      credentials: "same-origin",
      ...init,
      headers: { "X-XSRFToken": xsrfToken(), ...headers },
    });
  }

  /** POST the run: {chain, input}, `config` when it is a non-empty object, `mode` when set. */
  async start(chain, input, config = null, mode = "") {
    const body = { chain, input };
    if (config && typeof config === "object" && !Array.isArray(config) && Object.keys(config).length) {
      body.config = config;
    }
    if (mode) body.mode = mode;
    const response = await this.request(`${this.base}lcsse/api/runs`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: this.abort.signal,
    });
    if (response.status !== 201) throw new Error(await apiError(response));
    const run = await response.json();
    this.runId = run.id;
    this.eventsUrl = run.events_url;
    return run;
  }

  get active() {
    return !this.ended && !this.abort.signal.aborted;
  }

  async follow() {
    let failures = 0;
    while (this.active) {
      let progressed = false;
      try {
        progressed = await this._connect();
      } catch (error) {
        if (this.abort.signal.aborted) return;
        if (error.fatal) {
          this.ended = true;
          this.onFailure(error.message);
          return;
        }
      }
      if (!this.active) return;
      failures = progressed ? 0 : failures + 1;
      if (failures > 5) {
        this.ended = true;
        this.onFailure("the connection keeps dropping; gave up after 5 reconnects");
        return;
      }
      this.onReconnect();
      await new Promise((resolve) => setTimeout(resolve, this.retry));
    }
  }

  async _connect() {
    const headers = { Accept: "text/event-stream" };
    if (this.lastEventId) headers["Last-Event-ID"] = this.lastEventId;
    const response = await this.request(this.eventsUrl, {
      headers,
      cache: "no-store",
      signal: this.abort.signal,
    });
    if (response.status === 204) {
      this.ended = true;
      return true;
    }
    if (response.status !== 200) {
      const error = new Error(await apiError(response));
      error.fatal = true;
      throw error;
    }
    const parser = new SSEParser();
    const reader = response.body.getReader();
    const decoder = new TextDecoder("utf-8");
    let progressed = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (this.abort.signal.aborted) return progressed;
      this.onFrames(decoder.decode(value, { stream: true }));
      const events = parser.feed(value);
      if (parser.retry !== null) this.retry = parser.retry;
      if (events.length) {
        progressed = true;
        for (const e of events) if (e.id !== null) this.lastEventId = e.id;
        const ended = events.some((e) => e.type === "end");
        if (ended) this.ended = true;
        this.onEvents(events);
        if (ended) {
          reader.cancel().catch(() => {});
          break;
        }
      }
    }
    return progressed;
  }

  /** Stop the run; returns false when it had not started yet (nothing will end it). */
  async cancel() {
    if (!this.runId) {
      this.abort.abort();
      return false;
    }
    await this.request(`${this.base}lcsse/api/runs/${this.runId}`, { method: "DELETE" });
    return true;
  }

  close() {
    this.abort.abort();
  }
}

// =========================================================== (2) event dispatch ==

/** Events that count as chunks, as the first token and as "streaming". */
const CHUNK_EVENTS = new Set(["message", "reasoning", "tool_call_start", "tool_call_delta", "sources", "data"]);
const EVENTS_LIMIT = 5000;
const USAGE_KEYS = ["input_tokens", "output_tokens", "total_tokens"];

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** JSON.parse that never throws: undefined when the payload is not JSON. */
function parseJSON(text) {
  try {
    return JSON.parse(text);
  } catch (_) {
    return undefined;
  }
}

/** A value as text: strings as they are, anything else as JSON (never "[object Object]"). */
function asText(value) {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (_) {
    return String(value);
  }
}

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

// ================================================================ (3) the store ==

const TERMINAL = ["complete", "error", "cancelled"];
const WIRE_LIMIT = 200000;
/** input_key for chat models and agents: the prompt is the next user message. */
const MESSAGES_KEY = "@messages";

function isUserMessage(message) {
  return isObject(message) && (message.role === "user" || message.role === "human" || message.type === "human");
}

/** A message's content as text: a string, or the text parts of a list of content blocks. */
function messageText(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (typeof part === "string" ? part : isObject(part) && typeof part.text === "string" ? part.text : ""))
    .join("");
}

/** The frames of `text` (whole SSE frames) whose `id:` is above `lastId`. */
export function framesAfter(text, lastId) {
  return text
    .split(/(?<=\n\n)/)
    .filter((frame) => {
      const id = frame.match(/^id: ?(\d+)$/m);
      return !id || Number(id[1]) > lastId;
    })
    .join("");
}

/** One model's runs as this page saw them; every view of the model renders from it. */
export class RunStore {
  constructor(model, { now = () => performance.now(), base = () => baseUrl(null) } = {}) {
    this.model = model;
    this.now = now;
    this.base = base;
    this.listeners = new Set();
    this.stream = null; // server transport: the run this page reads
    this.ownsRun = false; // this page started it (Ask click, or the kernel asked it to)
    this.autostarted = false;
    this.awaitingReplay = false;
    this.pending = [];
    this.retired = new Set(); // kernel runs replaced by a newer one: late batches are dropped
    this.updating = false; // true while this store itself sets traits
    this.mirror({ reset: true });
    this.onModelChange = () => this.modelChanged();
    this.onCustom = (msg) => this.custom(msg);
    model.on("change", this.onModelChange);
    model.on("msg:custom", this.onCustom);
    const status = model.get("status");
    if (this.transport === "kernel" && this.runId && !TERMINAL.includes(status) && status !== "idle") {
      this.requestReplay(); // this page was opened after the run started
    } else if (this.transport === "server" && model.get("events_url") && !TERMINAL.includes(status)) {
      this.follow(model.get("events_url"), this.runId); // the kernel started it
    }
  }

  get transport() {
    return this.model.get("transport");
  }

  // The answer text and the chunk count are the run's (its RunEvents); the traits may
  // set them too (mirror: what the kernel says).
  get text() {
    return this.run.text;
  }

  set text(value) {
    this.run.text = value;
  }

  get chunks() {
    return this.run.chunks;
  }

  set chunks(value) {
    this.run.chunks = value;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify() {
    for (const listener of this.listeners) listener();
  }

  dispose() {
    this.stream?.close();
    this.stream = null;
    this.model.off("change", this.onModelChange);
    this.model.off("msg:custom", this.onCustom);
    this.listeners.clear();
  }

  /** Take the durable state from the traits (what the kernel says). */
  mirror({ reset = false } = {}) {
    const m = this.model;
    const runId = m.get("run_id") || "";
    if (reset || runId !== this.runId) {
      this.resetRun(runId);
      this.text = m.get("text") || "";
      this.chunks = m.get("chunks") || 0;
    }
    this.status = m.get("status");
    this.error = m.get("error") || "";
    this.runTtft = m.get("ttft_ms") ?? this.runTtft ?? null;
    if (TERMINAL.includes(this.status)) {
      this.text = m.get("text") || this.text; // the kernel's final text is authoritative
      this.chunks = m.get("chunks") ?? this.chunks;
      this.elapsed = m.get("elapsed_ms") ?? this.elapsed;
    }
  }

  resetRun(runId) {
    Object.assign(this, {
      runId,
      run: new RunEvents(), // the run's typed state: text, reasoning, tool calls, ...
      turn: null, // "@messages" runs started here: {conversation, user} to keep at the end
      error: "",
      ttft: null, // measured by this page
      runTtft: null, // the run's own figure (end event or trait)
      elapsed: null,
      reconnects: 0,
      wire: "",
      wireVersion: (this.wireVersion ?? 0) + 1, // views redraw the wire panel when it changes
      lastId: 0,
      started: this.now(),
      parser: new SSEParser(),
      pending: [],
      awaitingReplay: false,
    });
  }

  /** Set traits from this page (and tell the kernel), without reacting to our own change. */
  save(values) {
    this.updating = true;
    try {
      this.model.set(values);
      this.model.save_changes();
    } finally {
      this.updating = false;
    }
  }

  modelChanged() {
    if (this.updating) return;
    const m = this.model;
    const status = m.get("status");
    if (this.transport === "kernel") {
      const runId = m.get("run_id") || "";
      if (runId && runId !== this.runId && !this.retired.has(runId)) {
        this.retire();
        this.resetRun(runId);
      }
      if (runId === this.runId) {
        // The kernel's status, but never back from what the frames already showed.
        const regress = status === "starting" && this.status === "streaming";
        if (!regress && !TERMINAL.includes(this.status)) this.status = status;
        if (TERMINAL.includes(status)) this.mirror();
        this.error = m.get("error") || this.error;
      }
    } else {
      const url = m.get("events_url");
      const runId = m.get("run_id") || "";
      if (url && url !== this.stream?.eventsUrl && !TERMINAL.includes(status)) {
        this.follow(url, runId); // the kernel started a run (w.ask, or another page did)
      } else if (this.stream?.active && this.stream.runId && runId !== this.stream.runId) {
        this.stream.close(); // the kernel moved on from the run this page reads
        this.mirror();
      } else if (!this.stream?.active) {
        this.mirror(); // e.g. the kernel's own error: no server found
      }
    }
    this.notify();
  }

  custom(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "frames") this.batch(msg);
    else if (msg.type === "replay") this.replayed(msg);
    else if (msg.type === "ask" && this.transport === "server") this.startServer(msg.input ?? this.model.get("input"));
    else if (msg.type === "stop" && this.transport === "server") this.stopServer();
  }

  retire() {
    if (this.runId) this.retired.add(this.runId);
    if (this.retired.size > 100) this.retired.delete(this.retired.values().next().value);
  }

  // -- kernel transport ---------------------------------------------------------------

  /** A batch of frames from the kernel: events `after`+1 .. `last` of run `run_id`. */
  batch(msg) {
    if (msg.run_id && msg.run_id !== this.runId) {
      if (this.retired.has(msg.run_id)) return; // a late batch of a replaced run
      this.retire();
      this.resetRun(msg.run_id);
      this.status = "starting";
    }
    this.apply(msg);
    this.notify();
  }

  apply(msg) {
    const last = msg.last ?? this.lastId;
    const after = msg.after ?? this.lastId;
    if (last <= this.lastId) return; // already shown (a replay covered it)
    if (after > this.lastId) {
      this.pending.push(msg); // this page missed earlier frames: ask for them once
      this.requestReplay();
      return;
    }
    const frames = after < this.lastId ? framesAfter(msg.frames, this.lastId) : msg.frames;
    this.lastId = last;
    this.addFrames(frames);
    this.events(this.parser.feed(frames));
  }

  requestReplay() {
    if (this.awaitingReplay) return;
    this.awaitingReplay = true;
    this.model.send({ type: "replay", run_id: this.runId, after: this.lastId });
  }

  replayed(msg) {
    if (msg.run_id && msg.run_id !== this.runId) {
      if (this.retired.has(msg.run_id)) return;
      this.resetRun(msg.run_id);
    }
    this.awaitingReplay = false;
    const pending = this.pending;
    this.pending = [];
    this.apply(msg);
    for (const batch of pending.sort((a, b) => a.after - b.after)) this.apply(batch);
    this.notify();
  }

  // -- both transports ------------------------------------------------------------------

  addFrames(text) {
    this.wire += text;
    if (this.wire.length > WIRE_LIMIT) this.wire = this.wire.slice(-WIRE_LIMIT / 2);
    this.wireVersion += 1;
  }

  /** Parsed events: the run's dispatcher takes them all; the store keeps the status. */
  events(events) {
    for (const event of events) {
      if (this.run.apply(event)) {
        if (this.ttft == null) this.ttft = this.now() - this.started;
        if (!TERMINAL.includes(this.status)) this.status = "streaming";
      } else if (event.type === "error") {
        this.error = this.run.error;
      } else if (event.type === "end") {
        const end = this.run.end; // {} when the payload was not JSON: what the frames said
        this.status = end.reason === "complete" ? "complete" : end.reason === "error" ? "error" : "cancelled";
        this.runTtft = end.ttft_ms ?? null;
        this.elapsed = end.elapsed_ms ?? null;
        if (this.transport === "server") this.saveEnd();
      }
    }
  }

  // -- server transport -----------------------------------------------------------------

  /** Tell the kernel how the run ended (it reads comm messages between cells). */
  saveEnd() {
    if ((this.model.get("run_id") || "") !== this.runId) return; // a newer run took over
    const values = {
      text: this.text,
      status: this.status,
      error: this.error,
      chunks: this.chunks,
      ttft_ms: this.runTtft,
      elapsed_ms: this.elapsed,
      reconnects: this.reconnects,
    };
    // An "@messages" turn asked from this page: the kernel keeps the conversation from
    // this trait (in the kernel transport the kernel does it itself).
    if (this.status === "complete" && this.ownsRun && this.turn && this.model.get("keep_conversation")) {
      const { conversation, user } = this.turn;
      values.conversation = [...conversation, user, { role: "assistant", content: this.text }];
      this.turn = null;
    }
    this.save(values);
  }

  /** An "@messages" input's turn: the conversation it was asked in and its user message. */
  turnOf(input) {
    if (this.model.get("input_key") !== MESSAGES_KEY) return null;
    const messages = isObject(input) && Array.isArray(input.messages) ? input.messages : [];
    const user = messages[messages.length - 1];
    if (!isUserMessage(user)) return null;
    const conversation = this.model.get("conversation");
    return { conversation: Array.isArray(conversation) ? [...conversation] : [], user };
  }

  newStream() {
    this.stream?.close();
    const stream = new ServerStream(this.base(), {
      onFrames: (text) => {
        if (stream !== this.stream) return;
        this.addFrames(text);
        this.notify();
      },
      onEvents: (events) => {
        if (stream !== this.stream) return;
        this.events(events);
        this.notify();
      },
      onReconnect: () => {
        this.reconnects += 1;
        this.notify();
      },
      onFailure: (message) => this.fail(stream, message),
    });
    this.stream = stream;
    return stream;
  }

  fail(stream, message) {
    if (stream !== this.stream) return;
    this.status = "error";
    this.error = message;
    if ((this.model.get("run_id") || "") === this.runId) this.save({ status: "error", error: message });
    this.notify();
  }

  /** Read a run the kernel (or another page) started. */
  follow(url, runId) {
    this.retire();
    this.resetRun(runId);
    this.status = "starting";
    this.ownsRun = false;
    const stream = this.newStream();
    stream.runId = runId;
    stream.eventsUrl = url;
    stream.follow();
    this.notify();
  }

  /** Start a run from this page (Ask clicked here, or the kernel could not reach its server). */
  async startServer(input) {
    this.retire();
    this.resetRun("");
    this.status = "starting";
    this.ownsRun = true;
    this.turn = this.turnOf(input);
    const stream = this.newStream();
    this.notify();
    try {
      const m = this.model;
      const run = await stream.start(m.get("chain_name"), input, m.get("config"), m.get("mode") || "");
      if (stream !== this.stream) return;
      this.runId = run.id;
      this.save({ input, run_id: run.id, events_url: run.events_url, status: "starting", text: "", error: "", chunks: 0 });
      await stream.follow();
    } catch (error) {
      if (stream.abort.signal.aborted) return;
      this.fail(stream, String(error.message || error));
    }
  }

  async stopServer() {
    const stream = this.stream;
    let started;
    try {
      started = stream?.active ? await stream.cancel() : true;
    } catch (error) {
      // The DELETE itself failed (network, server gone): say so, the run may go on.
      this.error = `could not stop the run: ${error.message || error}`;
      this.notify();
      return;
    }
    if (!started) {
      // Stopped before the server created the run: no end event will come.
      this.status = "cancelled";
      this.save({ status: "cancelled" });
      this.notify();
    }
  }

  /** A view appeared: the first one starts an autostart run nobody else started. */
  viewRendered() {
    if (this.transport !== "server" || this.autostarted) return;
    this.autostarted = true;
    const m = this.model;
    const untouched = m.get("status") === "idle" && !m.get("events_url") && !m.get("error");
    if (m.get("autostart") && untouched && !this.stream) this.startServer(m.get("input"));
  }

  /** The Ask button of a view, with its prompt's input. */
  ask(input) {
    if (this.transport === "server") {
      this.startServer(input);
    } else {
      this.retire();
      this.resetRun("");
      this.status = "starting";
      this.notify();
      this.model.send({ type: "ask", input });
    }
  }

  stop() {
    if (this.transport === "server") this.stopServer();
    else this.model.send({ type: "stop" });
  }
}

// ================================================================== (4) the view ==

// ------------------------------------------------------- safe markdown rendering --

function appendInline(parent, text) {
  // `code`, **bold**, *italic*, [text](http...) ; everything else is text.
  const pattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\([^)\s]+\))/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parent.append(document.createTextNode(text.slice(last, match.index)));
    const token = match[0];
    let node;
    if (match[1]) {
      node = document.createElement("code");
      node.textContent = token.slice(1, -1);
    } else if (match[2]) {
      node = document.createElement("strong");
      appendInline(node, token.slice(2, -2));
    } else if (match[3]) {
      node = document.createElement("em");
      appendInline(node, token.slice(1, -1));
    } else {
      const close = token.indexOf("](");
      const href = token.slice(close + 2, -1);
      if (/^https?:\/\//i.test(href)) {
        node = document.createElement("a");
        node.setAttribute("href", href);
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer");
        node.textContent = token.slice(1, close);
      } else {
        node = document.createTextNode(token);
      }
    }
    parent.append(node);
    last = match.index + token.length;
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
}

/** A GFM table row's cells: outer pipes dropped, `\|` kept as a literal pipe. */
function tableCells(line) {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  const cells = [];
  let cell = "";
  for (let i = 0; i < row.length; i += 1) {
    if (row[i] === "\\" && row[i + 1] === "|") {
      cell += "|";
      i += 1;
    } else if (row[i] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else {
      cell += row[i];
    }
  }
  cells.push(cell.trim());
  return cells;
}

const DELIMITER_CELL = /^:?-+:?$/;

/** The column alignments when `line` is a GFM delimiter row for `columns` columns. */
function tableDelimiter(line, columns) {
  if (!line || !line.includes("-") || !line.includes("|")) return null;
  const cells = tableCells(line);
  if (cells.length !== columns || !cells.every((c) => DELIMITER_CELL.test(c))) return null;
  return cells.map((c) => (c.startsWith(":") && c.endsWith(":") ? "center" : c.endsWith(":") ? "right" : c.startsWith(":") ? "left" : ""));
}

function appendTable(container, header, align, rows) {
  const table = document.createElement("table");
  const head = document.createElement("thead");
  const body = document.createElement("tbody");
  const row = (cells, tag) => {
    const tr = document.createElement("tr");
    align.forEach((a, i) => {
      const cell = document.createElement(tag);
      if (a) cell.style.textAlign = a;
      appendInline(cell, cells[i] ?? "");
      tr.append(cell);
    });
    return tr;
  };
  head.append(row(header, "th"));
  for (const cells of rows) body.append(row(cells, "td"));
  table.append(head);
  if (rows.length) table.append(body);
  container.append(table);
}

/** Markdown to DOM nodes, built from text only: nothing in `source` becomes HTML. */
export function renderMarkdown(source, container) {
  container.replaceChildren();
  const lines = source.split("\n");
  let i = 0;
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) {
      const p = document.createElement("p");
      appendInline(p, paragraph.join(" "));
      container.append(p);
      paragraph = [];
    }
  };
  while (i < lines.length) {
    const line = lines[i];
    const fence = line.match(/^```(\w*)/);
    if (fence) {
      flush();
      const code = [];
      i += 1;
      while (i < lines.length && !lines[i].startsWith("```")) code.push(lines[i++]);
      i += 1;
      const pre = document.createElement("pre");
      const el = document.createElement("code");
      el.textContent = code.join("\n");
      pre.append(el);
      container.append(pre);
      continue;
    }
    const align = line.includes("|") ? tableDelimiter(lines[i + 1], tableCells(line).length) : null;
    if (align) {
      flush();
      const rows = [];
      i += 2;
      while (i < lines.length && lines[i].includes("|") && lines[i].trim() !== "") {
        rows.push(tableCells(lines[i]));
        i += 1;
      }
      appendTable(container, tableCells(line), align, rows);
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    const bullet = line.match(/^\s*([-*]|\d+\.)\s+(.*)$/);
    if (heading) {
      flush();
      const h = document.createElement(`h${Math.min(heading[1].length + 2, 6)}`);
      appendInline(h, heading[2]);
      container.append(h);
    } else if (/^\s*(-{3,}|\*{3,}|_{3,})\s*$/.test(line)) {
      flush();
      container.append(document.createElement("hr"));
    } else if (bullet) {
      flush();
      const ordered = /\d/.test(bullet[1]);
      const tag = ordered ? "OL" : "UL";
      let list = container.lastElementChild;
      if (!list || list.tagName !== tag) {
        list = document.createElement(tag.toLowerCase());
        container.append(list);
      }
      const li = document.createElement("li");
      appendInline(li, bullet[2]);
      list.append(li);
    } else if (line.trim() === "") {
      flush();
    } else {
      paragraph.push(line);
    }
    i += 1;
  }
  flush();
}

// ------------------------------------------------------------------ status line --

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The step a run is in, as the status line says it: "node NAME", or "KIND NAME". */
function stepLabel(step) {
  return `${step.kind === "node" ? "node" : step.kind || "step"} ${step.name}`;
}

/** The status line of a store at time `now` (ms, the store's clock). */
export function statusLine(store, now = store.now()) {
  const { status } = store;
  if (status === "idle") return "idle";
  const running = status === "starting" || status === "streaming";
  const step = running ? store.run?.step : null;
  const parts = [status];
  if (step) parts.push(stepLabel(step));
  if (status === "starting" && store.ttft == null) {
    parts.push(`${Math.max(0, (now - store.started) / 1000).toFixed(1)} s`);
    return parts.join(" · ");
  }
  const ttft = store.ttft ?? store.runTtft;
  parts.push(`first token ${ttft != null ? `${Math.round(ttft)} ms` : "–"}`);
  parts.push(plural(store.chunks, "chunk"));
  const seconds = store.elapsed != null ? store.elapsed / 1000 : (now - store.started) / 1000;
  parts.push(`${store.chunks && seconds > 0 ? (store.chunks / seconds).toFixed(1) : "–"} tokens/s`);
  if (store.transport === "server" && store.reconnects > 0) parts.push(plural(store.reconnects, "reconnect"));
  let line = parts.join(" · ");
  if (store.error) line += ` · error: ${store.error}`;
  return line;
}

// ---------------------------------------------------------------- card builders --
// Every builder makes elements and sets text and attributes: nothing is HTML.

function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Set an element's text only when it changed (a card is updated once per frame). */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** The reasoning: collapsed, shown only once there is some. */
function reasoningBlock() {
  const el = h("details", "lcsse-reasoning");
  const summary = h("summary", "lcsse-reasoning-summary", "reasoning");
  const text = h("pre", "lcsse-reasoning-text");
  el.append(summary, text);
  el.hidden = true;
  let shown = "";
  return {
    el,
    update(reasoning) {
      if (reasoning === shown) return;
      shown = reasoning;
      text.textContent = reasoning;
      el.hidden = !reasoning;
    },
  };
}

const TOOL_STATE_LABELS = { streaming: "running", called: "running", done: "done", error: "error" };

function argsText(call) {
  if (call.args === null || call.args === undefined) return call.argsText;
  if (typeof call.args === "string") return call.args;
  try {
    return JSON.stringify(call.args, null, 1) ?? call.argsText;
  } catch (_) {
    return call.argsText;
  }
}

/**
 * One tool call's card: "tool NAME · STATE" (text, not an emoji: headless and
 * minimal fonts have no glyph for one), its arguments as they stream, its result.
 * Open until the result came, then closed; once the user opened or closed it, left alone.
 */
function toolCard() {
  const el = h("details", "lcsse-tool");
  const summary = h("summary", "lcsse-tool-summary");
  const name = h("span", "lcsse-tool-name");
  const state = h("span", "lcsse-tool-state");
  summary.append(document.createTextNode("tool "), name, document.createTextNode(" · "), state);
  const args = h("pre", "lcsse-tool-args");
  const result = h("pre", "lcsse-tool-result");
  result.hidden = true;
  el.append(summary, args, result);
  let auto = true; // the open state this code set last
  let manual = false;
  el.open = true;
  summary.addEventListener("click", () => {
    manual = true; // the user's click (or Enter on the summary)
  });
  el.addEventListener("toggle", () => {
    if (el.open !== auto) manual = true; // a toggle this code did not make
  });
  return {
    el,
    update(call) {
      const label = TOOL_STATE_LABELS[call.state] ?? call.state;
      setText(name, call.name || "tool");
      setText(state, label);
      el.dataset.state = call.state;
      setText(args, argsText(call));
      if (call.result !== null) {
        setText(result, call.result);
        result.hidden = false;
        result.dataset.status = call.resultStatus || "";
      }
      const open = call.result === null;
      if (!manual && auto !== open) {
        auto = open;
        el.open = open;
      }
    },
  };
}

const SOURCE_CONTENT_LIMIT = 240;

function shorten(text, limit) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}

function metadataText(value) {
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}

/** A source's address when it is https (anything else, javascript: included, is text). */
function sourceHref(metadata) {
  return [metadata.source, metadata.url].find((u) => typeof u === "string" && /^https:\/\//i.test(u)) ?? null;
}

function sourceItem(doc, index) {
  const li = h("li", "lcsse-source");
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const title = metadataText(meta.title) || metadataText(meta.source) || metadataText(meta.url) || `document ${index + 1}`;
  const href = sourceHref(meta);
  let head;
  if (href) {
    head = h("a", "lcsse-source-link", title);
    head.setAttribute("href", href);
    head.setAttribute("target", "_blank");
    head.setAttribute("rel", "noopener noreferrer");
  } else {
    head = h("span", "lcsse-source-title", title);
  }
  li.append(head);
  const content = shorten(asText(doc.page_content), SOURCE_CONTENT_LIMIT);
  if (content) li.append(h("div", "lcsse-source-content", content));
  return li;
}

/** The retrieved documents: "sources (N)", collapsed, items appended as they come. */
function sourcesBlock() {
  const el = h("details", "lcsse-sources");
  const summary = h("summary", "lcsse-sources-summary");
  const list = h("ol", "lcsse-sources-list");
  el.append(summary, list);
  el.hidden = true;
  let shown = 0;
  return {
    el,
    reset() {
      list.replaceChildren();
      shown = 0;
      el.hidden = true;
    },
    update(sources) {
      if (sources.length === shown) return;
      for (; shown < sources.length; shown += 1) list.append(sourceItem(sources[shown], shown));
      summary.textContent = `sources (${sources.length})`;
      el.hidden = false;
    },
  };
}

/** The tool calls of a run, one card each, in order; new cards appended, none rebuilt. */
function toolCards() {
  const el = h("div", "lcsse-tools");
  let cards = [];
  return {
    el,
    reset() {
      el.replaceChildren();
      cards = [];
    },
    update(calls) {
      for (let i = 0; i < calls.length; i += 1) {
        if (!cards[i]) {
          cards[i] = toolCard();
          // What the model wrote before calling the tool ("Let me compute that."):
          // shown above its card, as text; the answer below is only what came after.
          const preface = h("div", "lcsse-tool-preface", calls[i].preface || "");
          preface.hidden = !calls[i].preface;
          el.append(preface, cards[i].el);
        }
        cards[i].update(calls[i]);
      }
    },
  };
}

// ----------------------------------------------------------------------- render --

// One store per model on this page, found by the model's `_store_key` trait: anywidget
// hands `initialize` and each `render` different proxies of the same model.
const stores = new Map();

function storeFor(model) {
  const key = model.get("_store_key");
  let store = key ? stores.get(key) : undefined;
  if (!store) {
    store = new RunStore(model);
    if (key) stores.set(key, store);
  }
  return store;
}

function initialize({ model }) {
  const key = model.get("_store_key");
  const store = storeFor(model);
  return () => {
    store.dispose();
    if (stores.get(key) === store) stores.delete(key);
  };
}

/** What the prompt box shows for the `input` trait, per `input_key`. */
function promptText(model) {
  const inputKey = model.get("input_key");
  const value = model.get("input") ?? {};
  if (inputKey === MESSAGES_KEY) {
    // The user's question: the last user message of the input (never JSON), or empty.
    if (typeof value === "string") return value;
    const messages = isObject(value) && Array.isArray(value.messages) ? value.messages : [];
    const user = [...messages].reverse().find(isUserMessage);
    return user ? messageText(user.content) : "";
  }
  if (inputKey === ".") return String(value);
  if (inputKey) return String(value[inputKey] ?? "");
  return JSON.stringify(value, null, 1);
}

/** The input a run is asked with, from the prompt box (throws when "" and not JSON). */
function promptInput(model, text) {
  const inputKey = model.get("input_key");
  if (inputKey === MESSAGES_KEY) {
    // The conversation so far goes along only when the widget keeps it (a graph with
    // no checkpointer); a checkpointer's thread has it already and gets the new message.
    const conversation = model.get("keep_conversation") ? model.get("conversation") : [];
    const input = model.get("input");
    const rest = isObject(input) ? input : {};
    return { ...rest, messages: [...(Array.isArray(conversation) ? conversation : []), { role: "user", content: text }] };
  }
  if (inputKey === ".") return text;
  if (inputKey) return { ...(model.get("input") ?? {}), [inputKey]: text };
  return JSON.parse(text);
}

function render({ model, el }) {
  const store = storeFor(model);
  const root = h("div", "lcsse-widget");
  const form = h("div", "lcsse-form");
  const prompt = h("textarea", "lcsse-prompt");
  prompt.rows = 2;
  const ask = h("button", "lcsse-ask", "Ask");
  const stop = h("button", "lcsse-stop", "Stop");
  form.append(prompt, ask, stop);
  const reasoning = reasoningBlock();
  const tools = toolCards();
  const output = h("div", "lcsse-output");
  const sources = sourcesBlock();
  const status = h("div", "lcsse-status");
  const wire = h("details", "lcsse-wire");
  const summary = h("summary", null, "wire: raw SSE frames");
  const frames = h("pre", "lcsse-frames");
  wire.append(summary, frames);
  root.append(form, reasoning.el, tools.el, output, sources.el, status, wire);
  el.append(root);
  prompt.value = promptText(model);

  let frame = 0;
  let wireShown = -1;
  let runShown = null; // the RunEvents the cards show
  let textShown = null; // [text, markdown] last rendered
  const draw = () => {
    frame = 0;
    const run = store.run;
    if (run !== runShown) {
      tools.reset();
      sources.reset();
      runShown = run;
    }
    reasoning.update(run.reasoning);
    tools.update(run.toolCalls);
    const markdown = Boolean(model.get("markdown"));
    if (!textShown || textShown[0] !== store.text || textShown[1] !== markdown) {
      if (markdown) renderMarkdown(store.text, output);
      else output.textContent = store.text;
      output.classList.toggle("lcsse-plain", !markdown);
      textShown = [store.text, markdown];
    }
    sources.update(run.sources);
    status.textContent = statusLine(store);
    status.dataset.status = store.status;
    if (wireShown !== store.wireVersion) {
      frames.textContent = store.wire;
      wireShown = store.wireVersion;
    }
    const running = store.status === "starting" || store.status === "streaming";
    stop.disabled = !running;
    ask.disabled = running;
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };
  const unsubscribe = store.subscribe(schedule);
  // The elapsed time while waiting for the first token.
  const timer = setInterval(() => {
    if (store.status === "starting") schedule();
  }, 100);

  ask.addEventListener("click", () => {
    let value;
    try {
      value = promptInput(model, prompt.value);
    } catch (error) {
      store.status = "error";
      store.error = `the prompt is not valid JSON: ${error.message}`;
      store.notify();
      return;
    }
    store.ask(value);
  });
  stop.addEventListener("click", () => store.stop());
  const onInput = () => {
    if (document.activeElement !== prompt) prompt.value = promptText(model);
  };
  model.on("change:input", onInput);
  model.on("change:markdown", schedule);

  store.viewRendered();
  draw(); // at once: a view re-rendered at the end of a stream must not flash empty

  return () => {
    unsubscribe();
    clearInterval(timer);
    if (frame) cancelAnimationFrame(frame);
    model.off("change:input", onInput);
    model.off("change:markdown", schedule);
  };
}

export default { initialize, render };
