// The widget's SSE parser against the same vectors as the Python decoder
// (tests/sse_vectors.json), whole, split at every byte, and byte by byte.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { SSEParser } from "../../jupyter_lcsse/static/widget.js";

const { vectors } = JSON.parse(readFileSync(new URL("../sse_vectors.json", import.meta.url), "utf8"));

function decode(chunks) {
  const parser = new SSEParser();
  const events = [];
  for (const chunk of chunks) events.push(...parser.feed(chunk));
  events.push(...parser.close());
  return { parser, events };
}

function check(vector, { parser, events }) {
  assert.deepEqual(events, vector.events, vector.name);
  assert.equal(parser.retry, vector.retry, vector.name);
  assert.equal(parser.lastEventId, vector.last_event_id, vector.name);
}

for (const vector of vectors) {
  test(`parser when ${vector.name} then expected events at every split`, () => {
    const bytes = new TextEncoder().encode(vector.input);
    check(vector, decode([bytes]));
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      check(vector, decode([bytes.slice(0, cut), bytes.slice(cut)]));
    }
    check(vector, decode(Array.from(bytes, (b) => Uint8Array.of(b))));
    if (vector.ending_neutral) {
      for (const ending of ["\r\n", "\r"]) {
        check(vector, decode([new TextEncoder().encode(vector.input.replaceAll("\n", ending))]));
      }
    }
  });
}

test("parser when string chunks then same as bytes", () => {
  const parser = new SSEParser();
  const events = [...parser.feed("data: a\r"), ...parser.feed("\ndata: b\n"), ...parser.feed("\n")];
  assert.deepEqual(events.map((e) => e.data), ["a\nb"]);
});
