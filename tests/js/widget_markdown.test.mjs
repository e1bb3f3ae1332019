// The markdown renderer builds DOM from text only: GFM tables become tables, and
// nothing in the model's output becomes HTML.
import assert from "node:assert/strict";
import { test } from "node:test";

import { installDocument } from "./fakes.mjs";
import { renderMarkdown } from "../../jupyter_lcsse/static/widget.js";

function rendered(source) {
  const container = installDocument().createElement("div");
  renderMarkdown(source, container);
  return container;
}

const rows = (table, tag) => table.all("tr").filter((tr) => tr.children[0]?.tagName === tag.toUpperCase());

test("markdown when GFM table then table with header, rows, alignment and inline code", () => {
  const source = [
    "Compare:",
    "",
    "| Transport | Latency | Notes |",
    "|:----------|--------:|:-----:|",
    "| SSE | 5 ms | `text/event-stream` |",
    "| WebSocket | 4 ms | a \\| pipe |",
    "",
    "After.",
  ].join("\n");
  const root = rendered(source);
  const [table] = root.all("table");
  assert.ok(table, "a <table> element");
  const head = rows(table, "th");
  assert.deepEqual(head[0].children.map((c) => c.textContent), ["Transport", "Latency", "Notes"]);
  const body = rows(table, "td");
  assert.deepEqual(body.map((tr) => tr.children.map((c) => c.textContent)), [
    ["SSE", "5 ms", "text/event-stream"],
    ["WebSocket", "4 ms", "a | pipe"],
  ]);
  assert.deepEqual(head[0].children.map((c) => c.style.textAlign ?? ""), ["left", "right", "center"]);
  assert.equal(body[0].children[2].all("code").length, 1);
  assert.deepEqual(root.children.map((c) => c.tagName), ["P", "TABLE", "P"]);
});

test("markdown when table without outer pipes then still a table", () => {
  const [table] = rendered("a | b\n--- | ---\n1 | 2").all("table");
  assert.deepEqual(rows(table, "td")[0].children.map((c) => c.textContent), ["1", "2"]);
});

test("markdown when pipes but no delimiter row then text, not a table", () => {
  const root = rendered("a | b\nc | d");
  assert.equal(root.all("table").length, 0);
  assert.equal(root.textContent, "a | b c | d");
});

test("markdown when html in a table cell then it stays text", () => {
  const root = rendered("| x |\n| - |\n| <img src=x onerror=alert(1)> |");
  assert.equal(root.all("img").length, 0);
  assert.equal(root.all("td")[0].textContent, "<img src=x onerror=alert(1)>");
});
