// Rules the widget's modules (js/src/) keep, checked on their source: nothing is
// inserted as HTML, markdown-it's own HTML renderer is never used, and only the
// transport factory reads the `transport` trait (no transport branches elsewhere).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

const SRC = new URL("../../js/src/", import.meta.url);

function sources(dir = SRC, prefix = "") {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) found.push(...sources(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`));
    else if (entry.name.endsWith(".js")) found.push([`${prefix}${entry.name}`, readFileSync(new URL(entry.name, dir), "utf8")]);
  }
  return found;
}

const ALL = sources();

test("widget modules when listed then each begins with a comment saying its job", () => {
  assert.ok(ALL.length >= 20, "the modules are there");
  for (const [name, text] of ALL) assert.match(text, /^\/\/ \S/, name);
});

test("widget modules when read then no HTML sink and no markdown-it HTML renderer", () => {
  for (const [name, text] of ALL) {
    assert.doesNotMatch(text, /\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|DOMParser|createContextualFragment/, name);
    assert.doesNotMatch(text, /\bmd\.render|\.renderInline\(|\.renderer\b|renderToString/, name);
  }
});

test("widget modules when read then only the transport factory reads the transport trait", () => {
  const readers = ALL.filter(([, text]) => /get\("transport"\)|\.transport ===|"kernel"|'kernel'/.test(text)).map(([name]) => name);
  assert.deepEqual(readers, ["transports/index.js"]);
});
