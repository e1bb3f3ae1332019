// The kernel transport, page side: the run is a task in the kernel, which sends the
// run's SSE text in batches as comm messages ({type: "frames", run_id, after, last,
// frames}); they go through the same parser as the server's stream. Ask, Stop and the
// interrupt cards' answer ({type: "resume", value}) are comm messages to the kernel,
// which starts the resumed run itself (a new `run_id`, like an ask).
//
// Batches are applied by event id (`after`..`last`): a repeat is dropped, an overlap is
// cut to what is new, and only a page that missed the start of a run (opened later)
// asks for a replay, once, of what it lacks; live batches that come meanwhile wait.

import { SSEParser } from "../sse_parser.js";
import { TERMINAL } from "../status.js";

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

export class KernelTransport {
  constructor(store) {
    this.store = store;
    this.reset();
  }

  /** A new run: nothing applied, nothing pending. */
  reset() {
    this.lastId = 0; // the last event id applied
    this.parser = new SSEParser();
    this.pending = []; // live batches that came before the replay they follow
    this.awaitingReplay = false;
  }

  /** The store was made: a page opened after the run started asks for what it missed. */
  attach() {
    const status = this.store.model.get("status");
    if (this.store.runId && !TERMINAL.includes(status) && status !== "idle") this.requestReplay();
  }

  modelChanged(status) {
    const { store } = this;
    const m = store.model;
    const runId = m.get("run_id") || "";
    if (runId && runId !== store.runId && !store.retired.has(runId)) {
      store.begin(runId); // a new run: "starting", whatever the last one ended as
    }
    if (runId === store.runId) {
      // The kernel's status, but never back from what the frames already showed.
      const regress = status === "starting" && store.status === "streaming";
      if (!regress && !TERMINAL.includes(store.status)) store.status = status;
      if (TERMINAL.includes(status)) store.mirror();
      store.error = m.get("error") || store.error;
    }
    if (store.resuming && status === "error") {
      // The kernel refused the answer before any run began: its error, and the
      // interrupts it still lists open, answerable again.
      store.status = "error";
      store.error = m.get("error") || store.error;
      if (Array.isArray(m.get("interrupts")) && m.get("interrupts").length) store.reopen();
    }
  }

  custom(msg) {
    if (msg.type === "frames") this.batch(msg);
    else if (msg.type === "replay") this.replayed(msg);
  }

  /** A batch of frames from the kernel: events `after`+1 .. `last` of run `run_id`. */
  batch(msg) {
    const { store } = this;
    if (msg.run_id && msg.run_id !== store.runId) {
      if (store.retired.has(msg.run_id)) return; // a late batch of a replaced run
      store.begin(msg.run_id);
    }
    this.apply(msg);
    store.notify();
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
    this.store.addFrames(frames);
    this.store.events(this.parser.feed(frames));
  }

  requestReplay() {
    if (this.awaitingReplay) return;
    this.awaitingReplay = true;
    this.store.model.send({ type: "replay", run_id: this.store.runId, after: this.lastId });
  }

  replayed(msg) {
    const { store } = this;
    if (msg.run_id && msg.run_id !== store.runId) {
      if (store.retired.has(msg.run_id)) return;
      store.resetRun(msg.run_id);
    }
    this.awaitingReplay = false;
    const pending = this.pending;
    this.pending = [];
    this.apply(msg);
    for (const batch of pending.sort((a, b) => a.after - b.after)) this.apply(batch);
    store.notify();
  }

  /** The run ended: the kernel keeps its end state (and the conversation) itself. */
  ended() {}

  /** The kernel starts an autostart run itself, whether a view shows it or not. */
  viewRendered() {}

  ask(input) {
    this.store.begin("");
    this.store.notify();
    this.store.model.send({ type: "ask", input });
  }

  /** The interrupt cards' answer: the kernel resumes the thread in a new run. */
  resume(value) {
    this.store.begin("");
    this.store.notify();
    this.store.model.send({ type: "resume", value });
  }

  stop() {
    this.store.model.send({ type: "stop" });
  }

  dispose() {}
}
