// RunStore: one model's runs as this page saw them; every view of the model renders
// from it. It keeps what both transports share (the run's RunEvents, the status, the
// figures, the wire text, the listeners) and hands everything that differs to its
// transport object (transports/): how a run is asked and stopped, where its frames come
// from, what the model's changes and custom messages mean.
//
// One store per model and page, made in anywidget's `initialize` (once per model,
// before any view; page_stores.js): it receives every batch from the model's creation
// on, so a re-rendered view (the saved output refreshed at the end of a stream,
// `display(w)` again) asks the kernel for nothing, and shows live tokens while the
// kernel runs other cells: a comm message from the browser would wait on the kernel's
// shell channel until they finish.
//
// Status line figures: "first token" (`ttft`) is what this page measured, from the start
// it saw to the first chunk it showed, and never changes once shown; only a page that
// did not see the start shows the run's own figure (`runTtft`, from the end event or
// the trait).

import { baseUrl } from "./base_url.js";
import { RunEvents } from "./run_events.js";
import { TERMINAL } from "./status.js";
import { makeTransport } from "./transports/index.js";

const WIRE_LIMIT = 200000;

export class RunStore {
  constructor(model, { now = () => performance.now(), base = () => baseUrl(null) } = {}) {
    this.model = model;
    this.now = now;
    this.base = base;
    this.listeners = new Set();
    this.retired = new Set(); // runs replaced by a newer one: their late frames are dropped
    this.updating = false; // true while this store itself sets traits
    this.transport = makeTransport(this); // first: resetRun resets its per-run state too
    this.mirror({ reset: true });
    this.onModelChange = () => this.modelChanged();
    this.onCustom = (msg) => this.custom(msg);
    model.on("change", this.onModelChange);
    model.on("msg:custom", this.onCustom);
    this.transport.attach(); // a run already going when this page opened
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
    this.transport.dispose();
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
      error: "",
      ttft: null, // measured by this page
      runTtft: null, // the run's own figure (end event or trait)
      elapsed: null,
      reconnects: 0, // only the server transport reconnects
      wire: "",
      wireVersion: (this.wireVersion ?? 0) + 1, // views redraw the wire panel when it changes
      started: this.now(),
    });
    this.transport.reset();
  }

  /** A newer run replaces the current one: remember the old id to drop its late frames. */
  retire() {
    if (this.runId) this.retired.add(this.runId);
    if (this.retired.size > 100) this.retired.delete(this.retired.values().next().value);
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
    this.transport.modelChanged(this.model.get("status"));
    this.notify();
  }

  custom(msg) {
    if (!msg || typeof msg !== "object") return;
    this.transport.custom(msg);
  }

  /** The raw SSE text of the run, for the wire panel (the newest WIRE_LIMIT characters). */
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
        this.transport.ended();
      }
    }
  }

  /** Start a new run here: the current one is retired, the status is "starting". */
  begin(runId) {
    this.retire();
    this.resetRun(runId);
    this.status = "starting";
  }

  /** A view appeared (the first one may start an autostart run). */
  viewRendered() {
    this.transport.viewRendered();
  }

  /** The Ask button of a view, with its prompt's input. */
  ask(input) {
    this.transport.ask(input);
  }

  /** The Stop button of a view. */
  stop() {
    this.transport.stop();
  }
}
