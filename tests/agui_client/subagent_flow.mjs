// An agent that nests and keeps state, run with @ag-ui/client's HttpAgent as an AG-UI app
// runs it, and on stdout, as one JSON object, what the client assembled.
//
//   node tests/agui_client/subagent_flow.mjs URL TOKEN [SCENARIO_JSON]
//   (or LCSSE_URL, LCSSE_TOKEN and AGUI_SCENARIO in the environment)
//
// URL is the Jupyter server's root URL (base_url included, ending in "/"). The scenario
// (every key optional):
//
//   {
//     "chain": "planner",                POST URL + lcsse/api/chains/NAME/agui
//     "threadId": "subagent-thread",
//     "question": "How does resuming work?",
//     "state": {},                       the agent's initialState (RunAgentInput.state)
//     "payload": "yes",                  what the app answers each pending interrupt with;
//                                        without it, a run that stops to ask is not resumed
//     "timeoutMs": 30000                 per run: then the run is aborted (abortRun)
//   }
//
// The output: {"clientVersion", "runs" (one per runAgent: "events" (types in order),
// "subagents" (the SUBAGENT_* events, as the client's subscriber hooks got them),
// "runFinished" (outcome, interrupts), "runErrors", "error", "newMessages", "resume"),
// "messages" (agent.messages at the end), "state" (agent.state at the end), "states"
// (agent.state after each STATE_SNAPSHOT / STATE_DELTA), "warnings" (what the client wrote
// with console.warn / console.error: its own event checks)}.

import { copy, describeError, fail, loadClient, warnings } from "./harness.mjs";

function newRecord() {
  return { events: [], subagents: [], runFinished: null, runErrors: [], error: null, newMessages: null, resume: null };
}

function subscriberFor(record, states) {
  const subagent = ({ event }) => {
    record.subagents.push(copy(event));
  };
  const state = ({ state }) => {
    states.push(copy(state));
  };
  return {
    onEvent({ event }) {
      record.events.push(event.type);
    },
    onSubagentStartedEvent: subagent,
    onSubagentFinishedEvent: subagent,
    onSubagentErrorEvent: subagent,
    // The hooks run before the client applies the event: the state it leads to is read
    // from onStateChanged, which the client calls once it has.
    onStateChanged: state,
    onRunFinishedEvent({ outcome, interrupts }) {
      record.runFinished = { outcome, interrupts: copy(interrupts ?? []) };
    },
    onRunErrorEvent({ event }) {
      record.runErrors.push(copy(event));
    },
  };
}

async function run(agent, parameters, record, states, timeoutMs) {
  const timer = setTimeout(() => agent.abortRun(), timeoutMs);
  try {
    const result = await agent.runAgent(parameters, subscriberFor(record, states));
    record.newMessages = copy(result.newMessages);
  } catch (error) {
    record.error = describeError(error);
  } finally {
    clearTimeout(timer);
  }
  return record;
}

async function main() {
  const [url = process.env.LCSSE_URL, token = process.env.LCSSE_TOKEN, raw = process.env.AGUI_SCENARIO ?? "{}"] =
    process.argv.slice(2);
  if (!url || token === undefined) {
    fail("usage: node tests/agui_client/subagent_flow.mjs URL TOKEN [SCENARIO_JSON]");
  }
  const scenario = JSON.parse(raw);
  const { HttpAgent, buildResumeArray, version } = await loadClient();
  const timeoutMs = scenario.timeoutMs ?? 30000;
  const agent = new HttpAgent({
    url: `${url}lcsse/api/chains/${encodeURIComponent(scenario.chain ?? "planner")}/agui`,
    headers: { Authorization: `token ${token}` },
    threadId: scenario.threadId ?? "subagent-thread",
    initialMessages: [{ id: "u1", role: "user", content: scenario.question ?? "How does resuming work?" }],
    initialState: scenario.state ?? {},
  });
  const states = [];
  const runs = [await run(agent, {}, newRecord(), states, timeoutMs)];
  if (scenario.payload !== undefined && agent.pendingInterrupts.length && !runs[0].error) {
    const responses = Object.fromEntries(
      agent.pendingInterrupts.map((i) => [i.id, { status: "resolved", payload: scenario.payload }]),
    );
    const resume = buildResumeArray(agent.pendingInterrupts, responses);
    const resumed = newRecord();
    resumed.resume = copy(resume);
    runs.push(await run(agent, { resume }, resumed, states, timeoutMs));
  }
  process.stdout.write(
    JSON.stringify({
      clientVersion: version,
      runs,
      messages: copy(agent.messages),
      state: copy(agent.state),
      states,
      pendingAfter: copy(agent.pendingInterrupts),
      warnings,
    }) + "\n",
  );
}

main().then(
  () => process.exit(0),
  (error) => fail(`subagent_flow.mjs crashed: ${error?.stack ?? error}`, 3),
);
