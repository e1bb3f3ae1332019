// A subagent's card: "subagent NAME · STATUS" and, inside, what it did, laid out as the
// root's run is: its reasoning, its tool calls with their prefaces and the subagents it
// ran (its own timeline, so cards nest as the agents do), then its text since its last
// tool call or result (markdown, like the answer, unless the widget's `markdown` is
// off), its sources. Open while it runs, closed once it finished (a one-line summary
// that says how many calls it made); a subagent that failed stays open with its error
// (in the summary line, and in full in the card when it is long), and one that stopped
// at an interrupt says it waits for you. Once the user opened or
// closed a card it is left as the user left it.
//
//   details.lcsse-subagent[data-status=running|finished|error|waiting|stopped]
//     summary.lcsse-subagent-summary  "subagent " span.lcsse-subagent-name " · "
//                                     span.lcsse-subagent-status span.lcsse-subagent-detail
//     div.lcsse-subagent-body
//       div.lcsse-subagent-error, div.lcsse-subagent-interrupts, details.lcsse-reasoning,
//       div.lcsse-timeline (its calls and subagents), div.lcsse-subagent-text,
//       div.lcsse-subagent-cut, details.lcsse-sources
//
// Its name, text, error and interrupt ids are text (textContent), or markdown built as
// DOM from markdown-it's tokens (markdown/): never HTML.

import { reasoningBlock, sourcesBlock } from "./cards.js";
import { autoOpen, h, setText } from "./dom.js";
import { MarkdownView } from "./markdown/view.js";
import { SUBAGENT_TEXT_LIMIT } from "./subagents.js";
import { timeline } from "./timeline.js";

const LABELS = { running: "running", finished: "finished", error: "error", waiting: "waiting for you", stopped: "stopped" };
const ERROR_SHOWN = 160; // characters of the error in the summary line

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** running | finished | error | waiting (finished at an interrupt) | stopped (the run ended first). */
export function subagentState(agent, ended) {
  if (agent.status === "error") return "error";
  if (agent.interrupts.length) return "waiting";
  if (agent.status === "running") return ended ? "stopped" : "running";
  return "finished";
}

/** What the summary says after the status: the step it is in, its calls, its error. */
function detailOf(agent, state) {
  if (state === "error" && agent.error) {
    const error = agent.error.replace(/\s+/g, " ").trim();
    return `: ${error.length > ERROR_SHOWN ? `${error.slice(0, ERROR_SHOWN - 1)}…` : error}`;
  }
  const step = state === "running" ? agent.step : null;
  if (step) return ` · ${step.kind === "node" ? "node" : step.kind || "step"} ${step.name}`;
  const calls = agent.toolCalls.length;
  return calls ? ` · ${plural(calls, "tool call")}` : "";
}

/** The text since its last call: markdown or plain, re-rendered only when it changed. */
function answerBlock() {
  const el = h("div", "lcsse-subagent-text");
  const view = new MarkdownView(el);
  let shown = null; // [text, markdown]
  return {
    el,
    update(text, markdown) {
      if (shown && shown[0] === text && shown[1] === markdown) return;
      if (markdown) {
        view.update(text); // re-renders only the blocks the new text can change
      } else {
        view.reset();
        el.textContent = text;
      }
      el.classList.toggle("lcsse-plain", !markdown);
      el.hidden = !text;
      shown = [text, markdown];
    },
  };
}

/** One subagent's card: {el, update(agent, ctx)} with ctx {markdown, ended}. */
export function subagentCard() {
  const el = h("details", "lcsse-subagent");
  const summary = h("summary", "lcsse-subagent-summary");
  const name = h("span", "lcsse-subagent-name");
  const status = h("span", "lcsse-subagent-status");
  const detail = h("span", "lcsse-subagent-detail");
  summary.append(document.createTextNode("subagent "), name, document.createTextNode(" · "), status, detail);
  const body = h("div", "lcsse-subagent-body");
  const error = h("div", "lcsse-subagent-error");
  error.hidden = true;
  const waiting = h("div", "lcsse-subagent-interrupts");
  waiting.hidden = true;
  const reasoning = reasoningBlock();
  const items = timeline(subagentCard);
  const answer = answerBlock();
  const cut = h("div", "lcsse-subagent-cut", `(its text is cut at ${SUBAGENT_TEXT_LIMIT} characters)`);
  cut.hidden = true;
  const sources = sourcesBlock();
  body.append(error, waiting, reasoning.el, items.el, answer.el, cut, sources.el);
  el.append(summary, body);
  const want = autoOpen(el, summary, true);
  return {
    el,
    update(agent, ctx) {
      const state = subagentState(agent, ctx.ended);
      el.dataset.status = state;
      setText(name, agent.name || "subagent");
      setText(status, LABELS[state]);
      setText(detail, detailOf(agent, state));
      // The whole error, unless the summary line already says all of it.
      const whole = state === "error" && agent.error.length <= ERROR_SHOWN && !/\n/.test(agent.error);
      setText(error, agent.error);
      error.hidden = !agent.error || whole;
      const ids = agent.interrupts.join(", ");
      setText(waiting, ids ? `waiting for your answer in the card above (${agent.interrupts.length === 1 ? "interrupt" : "interrupts"} ${ids})` : "");
      waiting.hidden = !ids;
      reasoning.update(agent.reasoning);
      items.update(agent.items, ctx);
      answer.update(agent.answer, ctx.markdown);
      cut.hidden = !agent.textCut;
      sources.update(agent.sources);
      want(state === "running" || state === "waiting" || state === "error");
    },
  };
}
