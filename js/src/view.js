// The view: anywidget's `render` for one output area. It lays out the prompt, the
// interrupt cards (a run waiting for the user, or the answers a resumed run was given),
// the reasoning, what the run did (the plan of a graph's `todos`, the tool cards and
// the subagent cards nested as the agents ran, the live state), the answer, the
// sources, the status line and the wire panel, and redraws them from the model's store
// at most once per animation frame. The answer is markdown (markdown/) unless the
// `markdown` trait is off: then plain text; subagents' texts follow the same trait.

import { reasoningBlock, sourcesBlock } from "./cards.js";
import { h } from "./dom.js";
import { interruptCards } from "./interrupt_cards.js";
import { MarkdownView } from "./markdown/view.js";
import { storeFor } from "./page_stores.js";
import { planView, todosOf } from "./plan.js";
import { promptInput, promptText } from "./prompt.js";
import { TERMINAL } from "./status.js";
import { statePanel } from "./state_tree.js";
import { statusLine } from "./status_line.js";
import { subagentCard } from "./subagent_cards.js";
import { SUBAGENTS_LIMIT } from "./subagents.js";
import { timeline } from "./timeline.js";

export function render({ model, el }) {
  const store = storeFor(model);
  const root = h("div", "lcsse-widget");
  const form = h("div", "lcsse-form");
  const prompt = h("textarea", "lcsse-prompt");
  prompt.rows = 2;
  const ask = h("button", "lcsse-ask", "Ask");
  const stop = h("button", "lcsse-stop", "Stop");
  form.append(prompt, ask, stop);
  const interrupts = interruptCards((records) => store.resume(records));
  const reasoning = reasoningBlock();
  // What the run did: the plan, the timeline of calls and subagents, the live state.
  const tools = h("div", "lcsse-tools");
  const plan = planView();
  const items = timeline(subagentCard);
  const dropped = h("div", "lcsse-subagents-dropped", `more subagents than the ${SUBAGENTS_LIMIT} shown: the others are left out`);
  dropped.hidden = true;
  const state = statePanel();
  tools.append(plan.el, items.el, dropped, state.el);
  const output = h("div", "lcsse-output");
  const answer = new MarkdownView(output);
  const sources = sourcesBlock();
  const status = h("div", "lcsse-status");
  const wire = h("details", "lcsse-wire");
  const summary = h("summary", null, "wire: raw SSE frames");
  const frames = h("pre", "lcsse-frames");
  wire.append(summary, frames);
  root.append(form, interrupts.el, reasoning.el, tools, output, sources.el, status, wire);
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
      for (const part of [plan, items, state, sources]) part.reset();
      runShown = run;
    }
    interrupts.update(store.interrupts, store.decided);
    reasoning.update(run.reasoning);
    const markdown = Boolean(model.get("markdown"));
    plan.update(todosOf(run.liveState ?? run.graphState));
    items.update(run.items, { markdown, ended: run.ended || TERMINAL.includes(store.status) });
    dropped.hidden = !run.subagentsTable.dropped;
    state.update(run.live);
    if (!textShown || textShown[0] !== store.text || textShown[1] !== markdown) {
      if (markdown) {
        answer.update(store.text); // re-renders only the blocks the new text can change
      } else {
        answer.reset();
        output.textContent = store.text;
      }
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
