// An approval round trip with @ag-ui/client's HttpAgent, as an AG-UI app does it, and
// on stdout, as one JSON object, what the client made of each step.
//
//   node tests/agui_client/interrupt_flow.mjs URL TOKEN [SCENARIO_JSON]
//   (or LCSSE_URL, LCSSE_TOKEN and AGUI_SCENARIO in the environment)
//
// URL is the Jupyter server's root URL (base_url included, ending in "/"). The scenario
// (every key optional):
//
//   {
//     "chain": "approval_agent",         POST URL + lcsse/api/chains/NAME/agui
//     "threadId": "approval-thread",
//     "question": "What is 6 times 7?",  the one user message of the first run
//     "payload": {"approved": true},     what the app answers each pending interrupt
//     "timeoutMs": 30000                 per run: then the run is aborted (abortRun)
//   }
//
// The steps: (1) runAgent: the run stops at the approval, RUN_FINISHED's outcome fills
// agent.pendingInterrupts; (2) runAgent with no resume: the client itself refuses it, as
// the protocol says (pending interrupts block new input), and sends nothing; (3)
// runAgent({resume}) with buildResumeArray's entries answering every pending interrupt:
// the thread goes on to the answer, and nothing is pending; (4) the same resume again:
// the server's RUN_ERROR, as the client reports it.
//
// The output: {"clientVersion", "first", "blocked", "resumed", "resent", "pendingAfter",
// "messages" (agent.messages at the end), "warnings" (what the client wrote with
// console.warn / console.error)}. "first", "resumed" and "resent" are runs: "events" (types in
// order), "runFinished" (outcome, interrupts, the event), "runErrors", "toolCallStarts",
// "toolCallResults", "newMessages", "error", "pendingInterrupts" (a copy, after the
// run), "resume" (the entries sent). "blocked" is the error the client raised.

import { copy, describeError, fail, loadClient, warnings } from "./harness.mjs";

function newRecord() {
  return {
    events: [],
    runFinished: null,
    runErrors: [],
    toolCallStarts: [],
    toolCallResults: [],
    newMessages: null,
    error: null,
    timedOut: false,
    pendingInterrupts: null,
    resume: null,
  };
}

function subscriberFor(record) {
  return {
    onEvent({ event }) {
      record.events.push(event.type);
    },
    onRunFinishedEvent({ event, outcome, interrupts }) {
      record.runFinished = { outcome, interrupts: interrupts ?? [], event };
    },
    onRunErrorEvent({ event }) {
      record.runErrors.push(event);
    },
    onToolCallStartEvent({ event }) {
      record.toolCallStarts.push({ toolCallId: event.toolCallId, toolCallName: event.toolCallName });
    },
    onToolCallResultEvent({ event }) {
      record.toolCallResults.push({ toolCallId: event.toolCallId, content: event.content });
    },
  };
}

async function run(agent, parameters, record, timeoutMs) {
  const timer = setTimeout(() => {
    record.timedOut = true;
    agent.abortRun();
  }, timeoutMs);
  try {
    const result = await agent.runAgent(parameters, subscriberFor(record));
    record.newMessages = result.newMessages;
  } catch (error) {
    record.error = describeError(error);
  } finally {
    clearTimeout(timer);
  }
  record.pendingInterrupts = copy(agent.pendingInterrupts);
  return record;
}

async function main() {
  const [url = process.env.LCSSE_URL, token = process.env.LCSSE_TOKEN, raw = process.env.AGUI_SCENARIO ?? "{}"] =
    process.argv.slice(2);
  if (!url || token === undefined) {
    fail("usage: node tests/agui_client/interrupt_flow.mjs URL TOKEN [SCENARIO_JSON]");
  }
  const scenario = JSON.parse(raw);
  const { HttpAgent, buildResumeArray, version } = await loadClient();
  const timeoutMs = scenario.timeoutMs ?? 30000;
  const agent = new HttpAgent({
    url: `${url}lcsse/api/chains/${encodeURIComponent(scenario.chain ?? "approval_agent")}/agui`,
    headers: { Authorization: `token ${token}` },
    threadId: scenario.threadId ?? "approval-thread",
    initialMessages: [{ id: "u1", role: "user", content: scenario.question ?? "What is 6 times 7?" }],
  });

  // 1. The run that stops to ask.
  const first = await run(agent, {}, newRecord(), timeoutMs);

  // 2. New input while the interrupts wait: the client refuses before it sends anything.
  let blocked = null;
  if (agent.pendingInterrupts.length) {
    try {
      await agent.runAgent({});
      blocked = { error: null, note: "the client sent a run although interrupts were pending" };
    } catch (error) {
      blocked = describeError(error);
    }
  }

  // 3. The answer to every pending interrupt, and the thread goes on.
  const payload = scenario.payload ?? { approved: true };
  const responses = Object.fromEntries(agent.pendingInterrupts.map((i) => [i.id, { status: "resolved", payload }]));
  const resume = buildResumeArray(agent.pendingInterrupts, responses);
  const resumed = newRecord();
  resumed.resume = copy(resume);
  if (!first.error && resume.length) await run(agent, { resume }, resumed, timeoutMs);

  // 4. The same resume sent again (a retry): the thread waits for nothing any more, and
  // the server refuses it in the stream (RUN_STARTED, RUN_ERROR); the tool does not run.
  const resent = newRecord();
  resent.resume = copy(resume);
  if (!resumed.error && resume.length) await run(agent, { resume }, resent, timeoutMs);

  process.stdout.write(
    JSON.stringify({
      clientVersion: version,
      first,
      blocked,
      resumed,
      resent,
      pendingAfter: copy(agent.pendingInterrupts),
      messages: agent.messages,
      warnings,
    }) + "\n",
  );
}

main().then(
  () => process.exit(0),
  (error) => fail(`interrupt_flow.mjs crashed: ${error?.stack ?? error}`, 3),
);
