// The page's run reader (RunEvents) on the vectors its Python twin (RunState) reads in
// tests/unit/test_run_state_vectors.py: both must make the same answer, tool calls,
// sources, usage, error, end, subagents and live state of each run.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { RunEvents } from "../../jupyter_lcsse/static/widget.js";

const { cases } = JSON.parse(readFileSync(new URL("../vectors/run_events.json", import.meta.url), "utf8"));

/** A tool call, in the vectors' names (the root's and a subagent's alike). */
function callOf(c) {
  return {
    id: c.id,
    name: c.name,
    args: c.args,
    args_text: c.argsText,
    result: c.result,
    status: c.state,
    preface: c.preface,
  };
}

/** What RunEvents made of a run, in the vectors' names. */
function observed(run) {
  return {
    text: run.text,
    reasoning: run.reasoning,
    tool_calls: run.toolCalls.map(callOf),
    sources: run.sources.length,
    source_metadata: run.sources.map((doc) => doc.metadata),
    usage: run.usage,
    finish_reason: run.finishReason,
    error: run.error,
    end: run.end,
    state: run.graphState,
    metadata: run.metadata,
    step: run.step,
    subagents: run.subagents.map((s) => ({
      id: s.id,
      name: s.name,
      status: s.status,
      parent: s.parent,
      tool_call_id: s.toolCallId,
      text: s.text,
      reasoning: s.reasoning,
      tool_calls: s.toolCalls.map(callOf),
      interrupts: s.interrupts,
      error: s.error,
    })),
    live_state: run.liveState,
  };
}

test("run events vectors when read then a dozen cases, recorded ones among them", () => {
  assert.ok(cases.length >= 12);
  assert.ok(cases.filter((c) => c.about.startsWith("Recorded")).length >= 6);
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, "names are unique");
});

for (const { name, frames, expect } of cases) {
  test(`run events vector ${name}: RunEvents agrees with the expected run`, () => {
    const run = new RunEvents();
    for (const frame of frames) run.apply({ type: frame.event, data: frame.data, id: frame.id });
    assert.deepEqual(observed(run), expect);
    assert.equal(run.ended, true);
  });
}
