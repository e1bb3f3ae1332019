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
//
// Interrupts: a run that ended "interrupted" leaves `interrupts`, the open ones (from
// its `interrupt` events, or the `interrupts` trait for a page that did not see them),
// which the view shows as cards. Answering them (`resume`) starts the resumed run like
// an Ask, and keeps the answered cards as `decided` for that run, read-only, so the
// user sees what was decided; any other new run clears them. An answer the server
// refuses as invalid (422) opens the same interrupts again (`reopen`).

import { baseUrl } from "./base_url.js";
import { RunEvents } from "./run_events.js";
import { readInterrupts, resumeValue } from "./interrupts.js";
import { TERMINAL, endStatus } from "./status.js";
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
    this.resuming = null; // a resume sent, its run not started yet: {interrupts, decided} before it
    this.threadId = ""; // the thread an interrupted run named (its end event, or the trait)
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
    const fresh = reset || runId !== this.runId;
    if (fresh) {
      this.resetRun(runId);
      this.text = m.get("text") || "";
      this.chunks = m.get("chunks") || 0;
    }
    this.status = m.get("status");
    this.error = m.get("error") || "";
    this.runTtft = m.get("ttft_ms") ?? this.runTtft ?? null;
    if (typeof m.get("thread_id") === "string" && m.get("thread_id")) this.threadId = m.get("thread_id");
    // A run this page did not see end: the kernel's list of its open interrupts.
    if (fresh && this.status === "interrupted") this.interrupts = readInterrupts(m.get("interrupts"));
    if (TERMINAL.includes(this.status)) {
      this.text = m.get("text") || this.text; // the kernel's final text is authoritative
      this.chunks = m.get("chunks") ?? this.chunks;
      this.elapsed = m.get("elapsed_ms") ?? this.elapsed;
    }
  }

  resetRun(runId) {
    if (!this.resuming) this.decided = []; // the run a resume started shows its answers
    if (runId) this.resuming = null;
    Object.assign(this, {
      runId,
      run: new RunEvents(), // the run's typed state: text, reasoning, tool calls, ...
      error: "",
      interrupts: [], // the open interrupts once the run ended "interrupted" (interrupts.js)
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
        this.status = endStatus(end.reason);
        if (this.status === "interrupted") {
          this.interrupts = readInterrupts(this.run.interrupts.length ? this.run.interrupts : this.model.get("interrupts"));
          if (typeof end.thread_id === "string" && end.thread_id) this.threadId = end.thread_id;
        }
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

  /** This page's run got its id (the server answered the POST): it is no longer to come. */
  adopt(runId) {
    this.runId = runId;
    this.resuming = null;
  }

  /**
   * The interrupt cards' answers ([{interrupt, answer, labels}], every open interrupt):
   * one resume whose VALUE is the map {"<interrupt id>": answer}; the run it starts
   * shows these answers as decided cards.
   */
  resume(records) {
    this.resuming = { interrupts: this.interrupts, decided: this.decided };
    this.decided = records;
    this.transport.resume(resumeValue(records));
  }

  /** The resume was refused before its run began: its interrupts are open again. */
  reopen() {
    if (!this.resuming) return;
    // New lists (the same items): the views rebuild the cards, answerable again.
    this.interrupts = [...this.resuming.interrupts];
    this.decided = [...this.resuming.decided];
    this.resuming = null;
  }

  /** A view appeared (the first one may start an autostart run). */
  viewRendered() {
    this.transport.viewRendered();
  }

  /** The Ask button of a view, with its prompt's input. */
  ask(input) {
    this.resuming = null; // a new question: the answered cards go
    this.transport.ask(input);
  }

  /** The Stop button of a view. */
  stop() {
    this.transport.stop();
  }
}
