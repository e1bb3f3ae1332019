// The answer's render cost per animation frame while a long markdown answer streams:
// the widget's incremental view (re-parses only the blocks the new text can change)
// against rendering the whole answer again each frame. The answer is realistic
// (tests/js/markdown_answer.mjs: headings, lists, code fences, tables, math), cut into
// tokens of about four characters; each frame adds `--frame` tokens, as the page does
// when a batch arrives between two animation frames. The DOM is tests/js/fakes.mjs's
// (node has none): it costs less than a browser's, so the figures are the parser's and
// the builder's share, and the ratio is what matters. The incremental view's p99 and
// max are mostly garbage collection (the fake DOM allocates a lot): the slow frames
// move from run to run, and their tails are a few hundred characters.
//
//   node benchmarks/js/markdown_stream.mjs [--tokens 20000] [--frame 20]
//
// Needs the bundle (jupyter_lcsse/static/widget.js), nothing else.

import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

import { installDocument } from "../../tests/js/fakes.mjs";
import { answer, tokens } from "../../tests/js/markdown_answer.mjs";
import { MarkdownView, renderMarkdown } from "../../jupyter_lcsse/static/widget.js";

const { values } = parseArgs({
  options: { tokens: { type: "string", default: "20000" }, frame: { type: "string", default: "20" } },
});
const TOKENS = Number(values.tokens);
const FRAME = Number(values.frame);

function answerTokens(count) {
  let sections = 1;
  let all = tokens(answer(sections));
  while (all.length < count) {
    sections *= 2;
    all = tokens(answer(sections));
  }
  return all.slice(0, count);
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Per-frame milliseconds of `render(shown)` over the stream. */
function measure(all, render) {
  const costs = [];
  let shown = "";
  for (let i = 0; i < all.length; i += FRAME) {
    shown += all.slice(i, i + FRAME).join("");
    const t0 = performance.now();
    render(shown);
    costs.push(performance.now() - t0);
  }
  return costs;
}

function row(name, costs) {
  const sorted = [...costs].sort((a, b) => a - b);
  const total = costs.reduce((a, b) => a + b, 0);
  const f = (ms) => ms.toFixed(2).padStart(8);
  return `${name.padEnd(26)} ${f(quantile(sorted, 0.5))} ${f(quantile(sorted, 0.99))} ${f(sorted[sorted.length - 1])} ${f(total)}`;
}

installDocument();
const all = answerTokens(TOKENS);
const chars = all.join("").length;

// Warm up both paths (the JIT) on the first 4,000 tokens, streamed, then measure.
const warm = all.slice(0, 4000);
const warmView = new MarkdownView(document.createElement("div"));
measure(warm, (text) => warmView.update(text));
const warmScratch = document.createElement("div");
measure(warm, (text) => renderMarkdown(text, warmScratch));

const live = document.createElement("div");
const view = new MarkdownView(live);
const incremental = measure(all, (text) => view.update(text));
const scratch = document.createElement("div");
const full = measure(all, (text) => renderMarkdown(text, scratch));

console.log(`${all.length} tokens (${chars} characters, ${live.children.length} top-level blocks), ${incremental.length} frames of ${FRAME} tokens; node ${process.version}`);
console.log(`${"per frame, ms".padEnd(26)} ${"p50".padStart(8)} ${"p99".padStart(8)} ${"max".padStart(8)} ${"total".padStart(8)}`);
console.log(row("incremental (the widget)", incremental));
console.log(row("full re-render", full));
const last = (costs) => costs.slice(-50).reduce((a, b) => a + b, 0) / 50;
console.log(`last 50 frames, mean ms: incremental ${last(incremental).toFixed(2)}, full ${last(full).toFixed(2)} (${(last(full) / last(incremental)).toFixed(0)}x)`);
