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

// ------------------------------------------------- markdown-it's blocks, as DOM --

const tags = (node) => node.children.filter((c) => c.tagName).map((c) => c.tagName);

test("markdown when bullet, numbered and bullet lists nest 3 levels then ul > li > ol > li > ul", () => {
  const root = rendered("- fruit\n  1. apple\n     - green\n     - red\n  2. pear\n- vegetables");
  assert.deepEqual(tags(root), ["UL"]);
  const [outer] = root.children;
  assert.deepEqual(tags(outer), ["LI", "LI"]);
  const [ol] = outer.children[0].all("ol");
  assert.deepEqual(ol.children.map((li) => li.children[0].textContent), ["apple", "pear"]);
  const [inner] = ol.all("ul");
  assert.deepEqual(inner.children.map((li) => li.textContent), ["green", "red"]);
  assert.equal(outer.children[1].textContent, "vegetables");
});

test("markdown when a numbered list starts at 3 then ol start=3; at 1 no start", () => {
  const [ol] = rendered("3. three\n4. four").all("ol");
  assert.equal(ol.getAttribute("start"), "3");
  assert.deepEqual(ol.children.map((li) => li.textContent), ["three", "four"]);
  assert.equal(rendered("1. one\n2. two").all("ol")[0].getAttribute("start"), null);
});

test("markdown when a task list then disabled checkboxes, checked for [x], marker dropped", () => {
  const root = rendered("- [ ] write tests\n- [x] ship it\n- [y] not a task");
  const [ul] = root.all("ul");
  assert.equal(ul.className, "contains-task-list");
  const boxes = root.all("input");
  assert.equal(boxes.length, 2);
  for (const box of boxes) {
    assert.equal(box.getAttribute("type"), "checkbox");
    assert.equal(box.getAttribute("disabled"), "");
  }
  assert.deepEqual(boxes.map((b) => b.getAttribute("checked")), [null, ""]);
  assert.deepEqual(ul.children.map((li) => li.textContent), ["write tests", "ship it", "[y] not a task"]);
  assert.deepEqual(ul.children.map((li) => li.className ?? ""), ["task-list-item", "task-list-item", ""]);
});

test("markdown when a blockquote holds a list then blockquote > ul", () => {
  const root = rendered("> Note:\n> - one\n> - two\n\nafter");
  assert.deepEqual(tags(root), ["BLOCKQUOTE", "P"]);
  const [quote] = root.children;
  assert.deepEqual(tags(quote), ["P", "UL"]);
  assert.deepEqual(quote.all("li").map((li) => li.textContent), ["one", "two"]);
});

test("markdown when strikethrough, emphasis, code and breaks then s, em, strong, code, br, soft break a space", () => {
  const root = rendered("~~old~~ *new* **bold** `x < y`\nsoft  \nhard");
  const [p] = root.children;
  assert.equal(p.all("s")[0].textContent, "old");
  assert.equal(p.all("em")[0].textContent, "new");
  assert.equal(p.all("strong")[0].textContent, "bold");
  assert.equal(p.all("code")[0].textContent, "x < y");
  assert.equal(p.all("br").length, 1);
  assert.equal(p.textContent, "old new bold x < y softhard");
});

test("markdown when headings then shifted two levels (an answer's # is an h3), capped at h6", () => {
  assert.deepEqual(tags(rendered("# one\n## two\n#### four\n###### six")), ["H3", "H4", "H6", "H6"]);
});

test("markdown when a code fence has blank lines then one pre > code with them, language class", () => {
  const root = rendered("```python\ndef f():\n\n    return 1\n```\n\n    indented\n\n    code");
  const [fence, indented] = root.all("pre");
  assert.equal(fence.children[0].className, "language-python");
  assert.equal(fence.textContent, "def f():\n\n    return 1");
  assert.equal(indented.textContent, "indented\n\ncode");
  assert.equal(root.children.length, 2);
});

test("markdown when a table has alignment, inline marks and no body then th only, aligned", () => {
  const root = rendered("| **a** | ~~b~~ | $x$ |\n|:-:|--:|---|");
  const [table] = root.all("table");
  assert.equal(table.all("tbody").length, 0);
  const cells = table.all("th");
  assert.deepEqual(cells.map((c) => c.style.textAlign ?? ""), ["center", "right", ""]);
  assert.equal(cells[0].all("strong").length, 1);
  assert.equal(cells[1].all("s").length, 1);
  assert.equal(cells[2].all("math").length, 1);
});

// ------------------------------------------------------------ links and images --

const UNSAFE_LINKS = [
  "javascript:alert(1)",
  "JaVaScRiPt:alert(1)",
  "&#106;avascript:alert(1)", // an entity for the j
  "&#x6A;&#x61;vascript:alert(1)",
  "javascript&#58;alert(1)", // an entity for the colon
  "java&#9;script:alert(1)", // a tab, which browsers drop from URLs
  "java&#10;script:alert(1)", // a newline
  "&#32;javascript:alert(1)", // a leading space
  "<javascript:alert(1)>",
  "<java script:alert(1)>",
  "vbscript:msgbox(1)",
  "data:text/html,<script>alert(1)</script>",
  "file:///etc/passwd",
  "unknown-scheme:x",
];

test("markdown when a link's address is not http(s), mailto or relative then no link, the text stays", () => {
  for (const address of UNSAFE_LINKS) {
    const root = rendered(`before [click](${address}) after`);
    assert.equal(root.all("a").length, 0, address);
    assert.match(root.textContent, /^before \[click\]\([\s\S]*\) after$/, address);
  }
  // Autolinks too.
  for (const source of ["<javascript:alert(1)>", "<data:text/html,x>", "<vbscript:x>"]) {
    assert.equal(rendered(source).all("a").length, 0, source);
  }
});

test("markdown when a link is http(s), mailto, relative or a fragment then a link, new tab, noopener", () => {
  const root = rendered(
    "[a](https://example.com/x?y=1) [b](http://example.org) [c](mailto:me@example.com) [d](docs/protocol.md) [e](#end) <https://auto.example> and https://bare.example/path",
  );
  const links = root.all("a");
  assert.deepEqual(links.map((a) => a.getAttribute("href")), [
    "https://example.com/x?y=1",
    "http://example.org",
    "mailto:me@example.com",
    "docs/protocol.md",
    "#end",
    "https://auto.example",
    "https://bare.example/path",
  ]);
  for (const a of links) {
    assert.equal(a.getAttribute("target"), "_blank");
    assert.equal(a.getAttribute("rel"), "noopener noreferrer");
  }
  assert.equal(links[0].textContent, "a");
  assert.equal(rendered("see example.com or me@example.com").all("a").length, 0, "no fuzzy links");
});

test("markdown when an image then a link to it (no img); an unsafe src stays text", () => {
  const root = rendered('![a chart](https://example.com/chart.png "Chart") ![x](javascript:alert(1)) ![y](data:image/png;base64,AAAA)');
  assert.equal(root.all("img").length, 0);
  const links = root.all("a");
  assert.equal(links.length, 1);
  assert.equal(links[0].getAttribute("href"), "https://example.com/chart.png");
  assert.equal(links[0].className, "lcsse-image-link");
  assert.equal(links[0].textContent, "a chart");
  assert.match(root.textContent, /!\[x\]\(javascript:alert\(1\)\) !\[y\]\(data:image\/png;base64,AAAA\)$/);
});

// ------------------------------------------------------------------------ math --

const MATHML = "http://www.w3.org/1998/Math/MathML";

test("markdown when inline and display math then MathML elements, made with createElementNS", () => {
  const root = rendered("The area is $\\pi r^2$ and\n\n$$\n\\int_0^1 x\\,dx = \\frac{1}{2}\n$$\n\nand \\(a+b\\), \\[c\\] too.");
  const maths = root.all("math");
  assert.equal(maths.length, 4);
  for (const math of maths) assert.equal(math.namespaceURI, MATHML);
  const below = maths.flatMap((m) => m.descendants().filter((n) => n.tagName));
  assert.ok(below.length > 5);
  for (const el of below) assert.equal(el.namespaceURI, MATHML, el.tagName);
  assert.ok(maths[0].all("msup").length === 1, "r^2 is a superscript");
  assert.ok(maths[1].all("mfrac").length === 1, "the display formula's fraction");
  assert.deepEqual(maths.map((m) => m.getAttribute("display")), [null, "block", null, "block"]);
  const [inline, display] = [maths[0], maths[1]];
  assert.equal(root.children[0].tagName, "P");
  assert.ok(root.children[0].all("math").includes(inline), "inline math inside its paragraph");
  assert.equal(root.children[1].className, "lcsse-math lcsse-math-display");
  assert.ok(root.children[1].all("math").includes(display));
  // The TeX source is kept as MathML's annotation (copy and paste, screen readers).
  assert.equal(inline.all("annotation")[0].textContent, "\\pi r^2");
});

test("markdown when dollars are prices then no math", () => {
  for (const source of [
    "It costs $5 and $10.",
    "Between $5-$10 a month",
    "$5, $6 or $7",
    "Save $ 5 now $",
    "a \\$x\\$ escaped pair",
    "just one $ sign",
  ]) {
    const root = rendered(source);
    assert.equal(root.all("math").length, 0, source);
    assert.equal(root.all("code").length, 0, source);
  }
  assert.equal(rendered("It costs $5 and $10.").textContent, "It costs $5 and $10.");
  assert.equal(rendered("from $x$ to $y$").all("math").length, 2);
});

test("markdown when a formula is bad then its source as code, nothing thrown", () => {
  for (const [source, shown] of [
    ["bad $\\frac{1}{$ here", "$\\frac{1}{$"],
    ["$\\notacommand{x}$", "$\\notacommand{x}$"],
    ["$$\n\\begin{matrix} a \\end{pmatrix}\n$$", "$$\n\\begin{matrix} a \\end{pmatrix}\n$$"],
  ]) {
    let root;
    assert.doesNotThrow(() => {
      root = rendered(source);
    }, source);
    const [code] = root.all("code");
    assert.equal(code?.className, "lcsse-math-error", source);
    assert.equal(code.textContent, shown);
    assert.equal(root.all("math").length, 0);
  }
});

test("markdown when math tries links, images or huge sizes then none of it", () => {
  const root = rendered("$\\href{javascript:alert(1)}{x}$ $\\url{https://x.example}$ $\\includegraphics{https://x.example/a.png}$ $\\rule{100000em}{100000em}$");
  assert.equal(root.all("a").length, 0);
  assert.equal(root.all("img").length, 0);
  for (const n of root.descendants()) {
    if (!n.tagName) continue;
    assert.ok(!Object.keys(n.attributes).some((a) => /^on|href|src/i.test(a)), n.tagName);
    for (const value of Object.values(n.attributes)) assert.doesNotMatch(value, /100000/);
  }
});

test("markdown when a display block is not closed then its source, and the text after a blank line is markdown", () => {
  const root = rendered("$$\n\\frac{1}{2}\n\n**after**");
  assert.deepEqual(tags(root), ["PRE", "P"]);
  assert.equal(root.children[0].className, "lcsse-math-source");
  assert.equal(root.children[0].textContent, "$$\n\\frac{1}{2}");
  assert.equal(root.children[1].all("strong").length, 1);
});

// ------------------------------------------------------------------ raw HTML --

test("markdown when the source holds raw HTML then all of it is text, no element, no handler", () => {
  const source = [
    "<script>alert(1)</script>",
    "",
    '<img src=x onerror="alert(2)"> inline <b onmouseover=alert(3)>bold?</b>',
    "",
    "<div>",
    "*still markdown*",
    "</div>",
    "",
    '<a href="javascript:alert(4)">a</a> <iframe src="https://evil.example"></iframe>',
    "",
    "<!-- a comment --> &lt;escaped&gt; &amp;",
  ].join("\n");
  const root = rendered(source);
  for (const tag of ["script", "img", "b", "div", "iframe"]) assert.equal(root.all(tag).length, 0, tag);
  // The one link is the bare https URL in the iframe's text (linkified), not the <a>.
  assert.deepEqual(root.all("a").map((a) => a.getAttribute("href")), ["https://evil.example"]);
  const text = root.textContent;
  for (const piece of ["<script>alert(1)</script>", '<img src=x onerror="alert(2)">', "<b onmouseover=alert(3)>bold?</b>", "<div>", '<a href="javascript:alert(4)">a</a>', "<!-- a comment -->", "<escaped> &"]) {
    assert.ok(text.includes(piece), piece);
  }
  assert.equal(root.all("em")[0].textContent, "still markdown");
  for (const n of root.descendants()) if (n.tagName) assert.deepEqual(Object.keys(n.attributes).filter((a) => /^on/i.test(a)), []);
});
