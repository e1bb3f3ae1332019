// The streaming markdown view: each update parses again only the blocks the new text
// can still change, keeps the DOM nodes of the blocks before them, and shows exactly
// what a from-scratch render of the same text shows, wherever the stream is cut.
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { installDocument, kernelModel, settle } from "./fakes.mjs";
import { answer, section, tokens } from "./markdown_answer.mjs";
import widget, { MarkdownView, renderMarkdown } from "../../jupyter_lcsse/static/widget.js";

globalThis.requestAnimationFrame = (callback) => setTimeout(callback, 0);
globalThis.cancelAnimationFrame = (handle) => clearTimeout(handle);

const cleanups = [];
after(() => {
  for (const cleanup of cleanups) cleanup();
});

function fromScratch(source) {
  const container = document.createElement("div");
  renderMarkdown(source, container);
  return container.outline();
}

/** A view of `text` streamed in the given pieces; checks every step against a full render. */
function streamAndCompare(pieces, label) {
  const container = document.createElement("div");
  const view = new MarkdownView(container);
  let shown = "";
  for (const [i, piece] of pieces.entries()) {
    shown += piece;
    view.update(shown);
    assert.deepEqual(container.outline(), fromScratch(shown), `${label}: after piece ${i} (${JSON.stringify(shown.slice(-40))})`);
  }
  return { container, view };
}

/** Deterministic pseudo-random numbers (a test that fails must fail again). */
function random(seed) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

test("markdown stream when text is appended then the first block keeps its node and only the tail is parsed", () => {
  installDocument();
  const container = document.createElement("div");
  const view = new MarkdownView(container);
  const text = answer(4);
  view.update(text);
  const [heading, firstSection] = container.children;
  const count = container.children.length;
  assert.equal(heading.tagName, "H3");
  const parsed = view.update(`${text}\nOne more paragraph, with **bold** text.`);
  assert.equal(container.children[0], heading, "the same node object");
  assert.equal(container.children[1], firstSection);
  assert.ok(parsed <= 3, `parsed ${parsed} blocks again, not the ${count} before`);
  assert.ok(view.finalCount >= count - 3);
  assert.deepEqual(container.outline(), fromScratch(`${text}\nOne more paragraph, with **bold** text.`));
});

test("markdown stream when cut at random points of a realistic answer then equal to a full render", () => {
  installDocument();
  const text = answer(3);
  const all = tokens(text);
  assert.equal(all.join(""), text);
  const next = random(42);
  for (let run = 0; run < 12; run += 1) {
    // Pieces of 1 to 60 tokens: every frame of a stream sees a different cut.
    const pieces = [];
    for (let i = 0; i < all.length; ) {
      const n = 1 + Math.floor(next() * 60);
      pieces.push(all.slice(i, i + n).join(""));
      i += n;
    }
    streamAndCompare(pieces, `run ${run}`);
  }
});

test("markdown stream when fed one character at a time then equal to a full render at every step", () => {
  installDocument();
  // Fences with blank lines, loose lists, tables, both display maths, a quote, a task list.
  streamAndCompare([...section(1)], "one section");
  // Lines that change the block above them as they grow: a rule that becomes text,
  // a table's delimiter row that is not one, a setext underline, a lazy continuation.
  const tricky = "para\n***x\n\ntext\n| a |\n|-x\n\nTitle\n===\n\n> quote\nlazy\n\n- a\n\n- b\n\n\n- c\n  $$\n  x\n  $$\n";
  streamAndCompare([...tricky], "tricky lines");
  streamAndCompare([...tricky.replace(/\n/g, "\r\n")], "CRLF");
});

test("markdown stream when a reference definition comes late then the earlier link is one", () => {
  installDocument();
  const text = "See [the spec][sse] for details.\n\nMore text.\n\nAnd more.\n\n[sse]: https://html.spec.whatwg.org/#server-sent-events\n\nAfter.";
  const { container } = streamAndCompare([...text], "reference");
  const [link] = container.all("a");
  assert.equal(link.getAttribute("href"), "https://html.spec.whatwg.org/#server-sent-events");
  assert.equal(link.textContent, "the spec");
});

test("markdown stream when the text is replaced (a new run) then rendered from scratch", () => {
  installDocument();
  const container = document.createElement("div");
  const view = new MarkdownView(container);
  view.update("# First run\n\nIts answer.\n\nMore.\n\nEnd.");
  const old = container.children[0];
  view.update("A different answer.");
  assert.ok(!container.children.includes(old));
  assert.deepEqual(container.outline(), fromScratch("A different answer."));
  view.update("");
  assert.equal(container.children.length, 0);
});

test("view when the answer streams as markdown then earlier blocks keep their nodes; plain and back", async () => {
  installDocument();
  const model = kernelModel({ _store_key: "md-stream", markdown: true });
  cleanups.push(widget.initialize({ model }));
  const el = document.createElement("div");
  cleanups.push(widget.render({ model, el }));
  const output = el.children[0].byClass("lcsse-output")[0];
  const text = answer(2);
  const all = tokens(text);
  const frame = (id, piece) => `id: ${id}\n${piece.split("\n").map((line) => `data: ${line}\n`).join("")}\n`;
  let first = null;
  for (let i = 0; i < all.length; i += 25) {
    const batch = all.slice(i, i + 25).map((piece, j) => frame(i + j + 1, piece)).join("");
    model.kernelSends({ type: "frames", run_id: "r1", after: i, last: Math.min(i + 25, all.length), frames: batch });
    await settle(1);
    first ??= output.children[0];
    assert.equal(output.children[0], first, `the heading's node after batch ${i / 25}`);
  }
  assert.deepEqual(output.outline().children, fromScratch(text).children);
  model.kernelSets({ markdown: false });
  model.emit("change:markdown");
  await settle(1);
  assert.equal(output.textContent, text);
  model.kernelSets({ markdown: true });
  model.emit("change:markdown");
  await settle(1);
  assert.deepEqual(output.outline().children, fromScratch(text).children);
});
