// The server transport, page side: the run lives on the Jupyter server and this page
// reads its event stream itself (server_stream.js). The kernel starts runs when it can
// find its server (so one `w.ask(new_input)` is one run, with that input, however many
// views show it) and sets `events_url`; the page follows that. The page starts a run
// itself for its own Ask button, an autostart nobody started, or when the kernel
// could not reach the server and asks the page to (custom message "ask"). At the end
// the page tells the kernel how the run ended (traits), since the kernel does not read
// the stream: an interrupted run's open `interrupts` too.
//
// The interrupt cards' answer is a run like an Ask: POST lcsse/api/runs with
// {chain, command: {resume: VALUE}, config} (the thread's config), followed as a run
// this page started. A 422 (an answer the server finds invalid) opens the cards again.

import { MESSAGES_KEY, isUserMessage } from "../messages.js";
import { ServerStream } from "../server_stream.js";
import { TERMINAL } from "../status.js";
import { isObject } from "../values.js";

/** The model's config, with the interrupted run's thread when it names none itself. */
function threadConfig(config, threadId) {
  const base = isObject(config) ? config : {};
  const configurable = isObject(base.configurable) ? base.configurable : {};
  if (configurable.thread_id || !threadId) return base;
  return { ...base, configurable: { ...configurable, thread_id: threadId } };
}

export class ServerTransport {
  constructor(store) {
    this.store = store;
    this.stream = null; // the run this page reads
    this.ownsRun = false; // this page started it (Ask click, or the kernel asked it to)
    this.autostarted = false;
    this.reset();
  }

  /** A new run: no "@messages" turn to keep yet. */
  reset() {
    this.turn = null; // a run started here: {conversation, user} to keep at its end
  }

  /** The store was made: follow a run the kernel started before this page opened. */
  attach() {
    const m = this.store.model;
    if (m.get("events_url") && !TERMINAL.includes(m.get("status"))) this.follow(m.get("events_url"), this.store.runId);
  }

  modelChanged(status) {
    const { store } = this;
    const m = store.model;
    const url = m.get("events_url");
    const runId = m.get("run_id") || "";
    if (url && url !== this.stream?.eventsUrl && !TERMINAL.includes(status)) {
      this.follow(url, runId); // the kernel started a run (w.ask, or another page did)
    } else if (this.stream?.active && this.stream.runId && runId !== this.stream.runId) {
      this.stream.close(); // the kernel moved on from the run this page reads
      store.mirror();
    } else if (!this.stream?.active) {
      store.mirror(); // e.g. the kernel's own error: no server found
    }
  }

  /** The kernel asks this page to start or stop the run (it could not reach the server). */
  custom(msg) {
    if (msg.type === "ask") this.start(msg.input ?? this.store.model.get("input"));
    else if (msg.type === "resume") this.resume(msg.value);
    else if (msg.type === "stop") this.stopRun();
  }

  /** Tell the kernel how the run ended (it reads comm messages between cells). */
  ended() {
    const { store } = this;
    const m = store.model;
    if ((m.get("run_id") || "") !== store.runId) return; // a newer run took over
    const values = {
      text: store.text,
      status: store.status,
      error: store.error,
      chunks: store.chunks,
      ttft_ms: store.runTtft,
      elapsed_ms: store.elapsed,
      reconnects: store.reconnects,
      interrupts: store.interrupts.map((i) => i.payload),
    };
    // An "@messages" turn asked from this page: the kernel keeps the conversation from
    // this trait (in the kernel transport the kernel does it itself).
    if (store.status === "complete" && this.ownsRun && this.turn && m.get("keep_conversation")) {
      const { conversation, user } = this.turn;
      values.conversation = [...conversation, user, { role: "assistant", content: store.text }];
      this.turn = null;
    }
    store.save(values);
  }

  /** A view appeared: the first one starts an autostart run nobody else started. */
  viewRendered() {
    if (this.autostarted) return;
    this.autostarted = true;
    const m = this.store.model;
    const untouched = m.get("status") === "idle" && !m.get("events_url") && !m.get("error");
    if (m.get("autostart") && untouched && !this.stream) this.start(m.get("input"));
  }

  ask(input) {
    this.start(input);
  }

  /** The interrupt cards' answer: a new run of the same thread, started here. */
  resume(value) {
    const { store } = this;
    const m = store.model;
    const config = threadConfig(m.get("config"), store.threadId);
    // Once the server took it, the kernel learns the answer: its saved output shows the
    // decision, not only that the page answered (the kernel reads no stream of ours).
    const told = () => m.send({ type: "resumed", value });
    this.launch((stream) => stream.resume(m.get("chain_name"), value, config, m.get("mode") || ""), {}, true, null, told);
  }

  stop() {
    this.stopRun();
  }

  dispose() {
    this.stream?.close();
    this.stream = null;
  }

  // -- the stream -----------------------------------------------------------------------

  /** An "@messages" input's turn: the conversation it was asked in and its user message. */
  turnOf(input) {
    const m = this.store.model;
    if (m.get("input_key") !== MESSAGES_KEY) return null;
    const messages = isObject(input) && Array.isArray(input.messages) ? input.messages : [];
    const user = messages[messages.length - 1];
    if (!isUserMessage(user)) return null;
    const conversation = m.get("conversation");
    return { conversation: Array.isArray(conversation) ? [...conversation] : [], user };
  }

  /** A stream for the next run; callbacks of a replaced stream are ignored. */
  newStream() {
    const { store } = this;
    this.stream?.close();
    const stream = new ServerStream(store.base(), {
      onFrames: (text) => {
        if (stream !== this.stream) return;
        store.addFrames(text);
        store.notify();
      },
      onEvents: (events) => {
        if (stream !== this.stream) return;
        store.events(events);
        store.notify();
      },
      onReconnect: () => {
        store.reconnects += 1;
        store.notify();
      },
      onFailure: (message) => this.fail(stream, message),
    });
    this.stream = stream;
    return stream;
  }

  fail(stream, message) {
    const { store } = this;
    if (stream !== this.stream) return;
    store.status = "error";
    store.error = message;
    if ((store.model.get("run_id") || "") === store.runId) store.save({ status: "error", error: message });
    store.notify();
  }

  /** Read a run the kernel (or another page) started. */
  follow(url, runId) {
    this.store.begin(runId);
    this.ownsRun = false;
    const stream = this.newStream();
    stream.runId = runId;
    stream.eventsUrl = url;
    stream.follow();
    this.store.notify();
  }

  /** Start a run from this page (Ask clicked here, or the kernel could not reach its server). */
  start(input) {
    const m = this.store.model;
    const post = (stream) => stream.start(m.get("chain_name"), input, m.get("config"), m.get("mode") || "");
    return this.launch(post, { input }, false, this.turnOf(input));
  }

  /** POST a run (`post(stream)`), then follow it; `saved`: traits to set with its id. */
  async launch(post, saved, resume, turn = null, started = null) {
    const { store } = this;
    store.begin("");
    this.ownsRun = true;
    this.turn = turn;
    const stream = this.newStream();
    store.notify();
    try {
      const run = await post(stream);
      if (stream !== this.stream) return;
      store.adopt(run.id);
      started?.(run);
      store.save({ ...saved, run_id: run.id, events_url: run.events_url, status: "starting", text: "", error: "", chunks: 0, interrupts: [] });
      await stream.follow();
    } catch (error) {
      if (stream !== this.stream) return; // replaced by a newer run
      const aborted = stream.abort.signal.aborted; // stopped before the server answered
      // The answer was not taken (a 422 to fix, a thread still busy, a server or network
      // failure): the cards are answerable again. Only a 409 saying nothing is open means
      // the thread was answered already (elsewhere, or twice): that decision stands.
      const answered = error.status === 409 && /no open interrupt/.test(String(error.message));
      if (resume && !aborted && !answered) store.reopen();
      store.resuming = null;
      if (!aborted) this.fail(stream, String(error.message || error));
    }
  }

  async stopRun() {
    const { store } = this;
    const stream = this.stream;
    let started;
    try {
      started = stream?.active ? await stream.cancel() : true;
    } catch (error) {
      // The DELETE itself failed (network, server gone): say so, the run may go on.
      store.error = `could not stop the run: ${error.message || error}`;
      store.notify();
      return;
    }
    if (!started) {
      // Stopped before the server created the run: no end event will come.
      store.status = "cancelled";
      store.save({ status: "cancelled" });
      store.notify();
    }
  }
}
