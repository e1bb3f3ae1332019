// jupyter-lcsse StreamWidget view: one SSE parser, two transports, one view.
//
// - server transport: POST lcsse/api/runs (X-XSRFToken from the _xsrf cookie), then read
//   the run's event stream with fetch and the parser below. Why fetch and not
//   EventSource: the wire panel shows the raw frames, which EventSource hides, and both
//   transports then go through one parser. Reconnection is EventSource's own algorithm:
//   wait `retry` ms, send Last-Event-ID, stop on 204 or on the `end` event.
// - kernel transport: the kernel sends batches of the same SSE text as comm messages
//   ({type: "frames", frames}); they go through the same parser.
//
// Model output is never parsed as HTML: plain text is set with textContent, and the
// markdown renderer builds DOM nodes from text (no innerHTML), so `<script>` or
// `<img onerror=...>` in a token shows as text.

// ---------------------------------------------------------------- the SSE parser --

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
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    const bullet = line.match(/^\s*([-*]|\d+\.)\s+(.*)$/);
    if (heading) {
      flush();
      const h = document.createElement(`h${Math.min(heading[1].length + 2, 6)}`);
      appendInline(h, heading[2]);
      container.append(h);
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
    } else if (/^\|.*\|$/.test(line.trim())) {
      flush();
      const pre = document.createElement("pre");
      pre.textContent = line;
      container.append(pre);
    } else {
      paragraph.push(line);
    }
    i += 1;
  }
  flush();
}

// ------------------------------------------------------------------- server side --

function baseUrl(el) {
  const config = document.getElementById("jupyter-config-data");
  if (config) {
    try {
      const data = JSON.parse(config.textContent);
      if (data.baseUrl) return data.baseUrl.endsWith("/") ? data.baseUrl : `${data.baseUrl}/`;
    } catch (_) {
      /* fall through */
    }
  }
  const attr = el.closest("[data-base-url]")?.getAttribute("data-base-url")
    ?? document.body?.getAttribute("data-base-url");
  if (attr) return attr.endsWith("/") ? attr : `${attr}/`;
  return "/";
}

function xsrfToken() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("_xsrf="));
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
class ServerStream {
  constructor(base, { onFrames, onEvents, onReconnect, onFailure }) {
    this.base = base;
    this.abort = new AbortController();
    this.onFrames = onFrames;
    this.onEvents = onEvents;
    this.onReconnect = onReconnect;
    this.onFailure = onFailure;
    this.runId = null;
    this.lastEventId = "";
    this.retry = 2000;
    this.ended = false;
  }

  headers(extra = {}) {
    return { "X-XSRFToken": xsrfToken(), ...extra };
  }

  async start(chain, input) {
    const response = await fetch(`${this.base}lcsse/api/runs`, {
      method: "POST",
      credentials: "same-origin",
      headers: this.headers({ "Content-Type": "application/json" }),
      body: JSON.stringify({ chain, input }),
      signal: this.abort.signal,
    });
    if (response.status !== 201) throw new Error(await apiError(response));
    const run = await response.json();
    this.runId = run.id;
    this.eventsUrl = run.events_url;
    return run;
  }

  async follow() {
    let failures = 0;
    while (!this.ended && !this.abort.signal.aborted) {
      let progressed = false;
      try {
        progressed = await this._connect();
      } catch (error) {
        if (this.abort.signal.aborted) return;
        if (error.fatal) {
          this.onFailure(error.message);
          return;
        }
      }
      if (this.ended || this.abort.signal.aborted) return;
      failures = progressed ? 0 : failures + 1;
      if (failures > 5) {
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
    const response = await fetch(this.eventsUrl, {
      credentials: "same-origin",
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
      this.onFrames(decoder.decode(value, { stream: true }));
      const events = parser.feed(value);
      if (parser.retry !== null) this.retry = parser.retry;
      if (events.length) {
        progressed = true;
        for (const e of events) if (e.id !== null) this.lastEventId = e.id;
        this.onEvents(events);
        if (events.some((e) => e.type === "end")) {
          this.ended = true;
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
    await fetch(`${this.base}lcsse/api/runs/${this.runId}`, {
      method: "DELETE",
      credentials: "same-origin",
      headers: this.headers(),
    });
    return true;
  }

  close() {
    this.abort.abort();
  }
}

// ----------------------------------------------------------------------- the view --

function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// The raw frames of each run, shared by the views that show it: a view re-rendered when
// the kernel refreshes the saved output (at the end of a stream) keeps the wire panel.
const wires = new Map();
function keepWire(runId, text) {
  if (!runId) return;
  wires.delete(runId);
  wires.set(runId, text);
  if (wires.size > 50) wires.delete(wires.keys().next().value);
}

function render({ model, el }) {
  const root = h("div", "lcsse-widget");
  const form = h("div", "lcsse-form");
  const prompt = h("textarea", "lcsse-prompt");
  prompt.rows = 2;
  const ask = h("button", "lcsse-ask", "Ask");
  const stop = h("button", "lcsse-stop", "Stop");
  form.append(prompt, ask, stop);
  const output = h("div", "lcsse-output");
  const status = h("div", "lcsse-status");
  const wire = h("details", "lcsse-wire");
  const summary = h("summary", null, "wire: raw SSE frames");
  const frames = h("pre", "lcsse-frames");
  wire.append(summary, frames);
  root.append(form, output, status, wire);
  el.append(root);

  const inputKey = model.get("input_key");
  const initial = model.get("input") ?? {};
  if (inputKey === ".") prompt.value = String(initial);
  else if (inputKey) prompt.value = String(initial[inputKey] ?? "");
  else prompt.value = JSON.stringify(initial, null, 1);

  const state = {
    text: model.get("text") || "",
    status: model.get("status"),
    chunks: model.get("chunks") || 0,
    ttft: model.get("ttft_ms"),
    elapsed: model.get("elapsed_ms"),
    reconnects: model.get("reconnects") || 0,
    error: model.get("error") || "",
    started: 0,
    wire: wires.get(model.get("run_id")) ?? "",
    dirty: true,
  };
  let stream = null;
  let parser = new SSEParser();
  let frame = 0;

  const draw = () => {
    frame = 0;
    if (!state.dirty) return;
    state.dirty = false;
    if (model.get("markdown")) renderMarkdown(state.text, output);
    else output.textContent = state.text;
    output.classList.toggle("lcsse-plain", !model.get("markdown"));
    const seconds = state.elapsed != null ? state.elapsed / 1000 : (performance.now() - state.started) / 1000;
    const rate = state.chunks && seconds > 0 ? (state.chunks / seconds).toFixed(1) : "–";
    const ttft = state.ttft != null ? `${Math.round(state.ttft)} ms` : "–";
    let line = `${state.status} · first token ${ttft} · ${state.chunks} chunks · ${rate} tokens/s · ${state.reconnects} reconnects`;
    if (state.error) line += ` · error: ${state.error}`;
    status.textContent = line;
    status.dataset.status = state.status;
    frames.textContent = state.wire;
    const running = state.status === "starting" || state.status === "streaming";
    stop.disabled = !running;
    ask.disabled = running;
  };
  const schedule = () => {
    state.dirty = true;
    if (!frame) frame = requestAnimationFrame(draw);
  };

  const onEvents = (events) => {
    for (const event of events) {
      if (event.type === "message") {
        if (state.ttft == null) state.ttft = performance.now() - state.started;
        state.text += event.data;
        state.chunks += 1;
        state.status = "streaming";
      } else if (event.type === "error") {
        try {
          state.error = JSON.parse(event.data).message;
        } catch (_) {
          state.error = event.data;
        }
      } else if (event.type === "end") {
        const end = JSON.parse(event.data);
        state.status = end.reason === "complete" ? "complete" : end.reason === "error" ? "error" : "cancelled";
        state.ttft = end.ttft_ms;
        state.elapsed = end.elapsed_ms;
        state.chunks = end.chunks;
        if (model.get("transport") === "server") {
          model.set({
            text: state.text,
            status: state.status,
            error: state.error,
            chunks: state.chunks,
            ttft_ms: state.ttft,
            elapsed_ms: state.elapsed,
            reconnects: state.reconnects,
          });
          model.save_changes();
        }
      }
    }
    schedule();
  };
  const onFrames = (text) => {
    state.wire += text;
    if (state.wire.length > 200000) state.wire = state.wire.slice(-100000);
    keepWire(model.get("run_id"), state.wire);
    schedule();
  };

  const reset = () => {
    Object.assign(state, { text: "", chunks: 0, ttft: null, elapsed: null, error: "", wire: "", reconnects: 0 });
    state.started = performance.now();
    parser = new SSEParser();
  };

  const currentInput = () => {
    if (inputKey === ".") return prompt.value;
    if (inputKey) return { ...initial, [inputKey]: prompt.value };
    return JSON.parse(prompt.value);
  };

  /** A fresh ServerStream wired to this view (closing the previous one). */
  const newServerStream = () => {
    if (stream) stream.close();
    stream = new ServerStream(baseUrl(el), {
      onFrames,
      onEvents,
      onReconnect: () => {
        state.reconnects += 1;
        schedule();
      },
      onFailure: (message) => {
        state.status = "error";
        state.error = message;
        model.set({ status: "error", error: message });
        model.save_changes();
        schedule();
      },
    });
    return stream;
  };

  const startServer = async () => {
    reset();
    state.status = "starting";
    schedule();
    const s = newServerStream();
    try {
      const run = await s.start(model.get("chain_name"), currentInput());
      model.set({ run_id: run.id, events_url: run.events_url, status: "streaming", text: "", error: "" });
      model.save_changes();
      keepWire(run.id, state.wire);
      await s.follow();
    } catch (error) {
      if (s.abort.signal.aborted) return;
      state.status = "error";
      state.error = String(error.message || error);
      model.set({ status: "error", error: state.error });
      model.save_changes();
      schedule();
    }
  };

  const startKernel = () => {
    reset();
    state.status = "starting";
    schedule();
    let value;
    try {
      value = currentInput();
    } catch (error) {
      state.status = "error";
      state.error = `the prompt is not valid JSON: ${error.message}`;
      schedule();
      return;
    }
    model.send({ type: "ask", input: value });
  };

  const start = () => (model.get("transport") === "server" ? startServer() : startKernel());

  ask.addEventListener("click", start);
  const stopServer = async () => {
    if (stream && !(await stream.cancel())) {
      // Stopped before the server created the run: no end event will come.
      state.status = "cancelled";
      model.set({ status: "cancelled" });
      model.save_changes();
      schedule();
    }
  };
  stop.addEventListener("click", () => {
    if (model.get("transport") === "server") stopServer();
    else model.send({ type: "stop" });
  });

  let awaitingReplay = false;
  const onCustom = (msg) => {
    if (msg.type === "frames" || (msg.type === "replay" && awaitingReplay)) {
      if (msg.type === "frames" && awaitingReplay) return; // the replay will contain it
      if (msg.type === "replay") {
        awaitingReplay = false;
        reset();
      }
      if (!state.started) state.started = performance.now();
      onFrames(msg.frames);
      onEvents(parser.feed(msg.frames));
    } else if (msg.type === "ask") {
      start();
    } else if (msg.type === "stop") {
      stopServer();
    }
  };
  model.on("msg:custom", onCustom);
  const onStatus = () => {
    if (model.get("transport") === "kernel") {
      state.status = model.get("status");
      if (state.status === "starting") reset();
      if (["complete", "error", "cancelled"].includes(state.status)) {
        state.text = model.get("text"); // the kernel's final text is authoritative
        state.chunks = model.get("chunks");
        state.ttft = model.get("ttft_ms");
        state.elapsed = model.get("elapsed_ms");
      }
      state.error = model.get("error") || state.error;
      schedule();
    }
  };
  model.on("change:status", onStatus);
  const onMarkdown = () => schedule();
  model.on("change:markdown", onMarkdown);

  const followServer = async () => {
    // The kernel started the run (it knows its server): just read its events.
    state.started = performance.now();
    const s = newServerStream();
    s.runId = model.get("run_id");
    s.eventsUrl = model.get("events_url");
    await s.follow();
  };

  const serverStatus = model.get("status");
  if (model.get("transport") === "server" && model.get("events_url") && !["complete", "error", "cancelled"].includes(serverStatus)) {
    state.status = "starting";
    followServer();
    schedule();
  } else if (model.get("transport") === "server" && model.get("autostart") && state.status === "idle") {
    startServer();
  } else if (model.get("transport") === "kernel" && state.status !== "idle") {
    awaitingReplay = true; // frames sent before this view existed: ask for them
    state.started = performance.now();
    model.send({ type: "replay" });
    schedule();
  } else {
    state.started = performance.now();
    state.dirty = true;
    draw(); // at once: a view re-rendered at the end of a stream must not flash empty
  }

  return () => {
    stream?.close();
    if (frame) cancelAnimationFrame(frame);
    model.off("msg:custom", onCustom);
    model.off("change:status", onStatus);
    model.off("change:markdown", onMarkdown);
  };
}

export default { render };
