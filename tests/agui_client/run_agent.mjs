// Run one of the server's chains with @ag-ui/client's HttpAgent, as an AG-UI app does,
// and print on stdout, as one JSON object, what the client made of the stream.
//
//   node tests/agui_client/run_agent.mjs URL TOKEN SCENARIO_JSON
//   (or LCSSE_URL, LCSSE_TOKEN and AGUI_SCENARIO in the environment)
//
// URL is the Jupyter server's root URL (base_url included, ending in "/"). The scenario:
//
//   {
//     "chain": "agent",                  the chain to run: POST URL + lcsse/api/chains/NAME/agui
//     "threadId": "thread-1",            optional
//     "messages": [{"id", "role", "content"}],   the conversation so far
//     "tools": [{"name", "description", "parameters"}],   frontend tools, on every run
//     "toolResults": {"confirm_booking": "confirmed"},
//         what the app answers when a run ends with frontend tool calls pending: each
//         pending call whose tool is named here gets a tool message with that content
//         (agent.addMessage), and the agent runs again, as an app would
//     "maxRuns": 2,                      at most this many runs (default 1)
//     "timeoutMs": 30000                 per run: then the run is aborted (abortRun)
//   }
//
// The output: {"runs": [...], "messages": agent.messages after the last run, "state",
// "errors": every run's error, "warnings": what the client wrote with console.warn or
// console.error (its event checks report there)}. Each run: "events" (the types in the
// order the subscriber saw them), "runFinished" (outcome, pendingToolCallIds, the event),
// "runErrors" (RUN_ERROR events), "toolCallEnds" (name and parsed arguments as the client
// saw them), "messagesBeforeSnapshot" (what the client had assembled from the stream
// when a MESSAGES_SNAPSHOT replaced it), "newMessages" and "result" (runAgent's result),
// "error" (runAgent's rejection: message, status, payload), "state" (agent.state after
// the run), "answered" (tool messages the app added after this run).
//
// The package comes from the project's .npm-tools/ (scripts/test.sh installs it);
// AGUI_CLIENT_DIR names another copy of @ag-ui/client.

import { copy, describeError, fail, loadClient, warnings } from "./harness.mjs";

function subscriberFor(record) {
  return {
    onEvent({ event }) {
      record.events.push(event.type);
    },
    onRunFinishedEvent({ event, outcome, pendingToolCallIds }) {
      record.runFinished = { outcome, pendingToolCallIds: pendingToolCallIds ?? [], event };
    },
    onRunErrorEvent({ event }) {
      record.runErrors.push(event);
    },
    onToolCallEndEvent({ toolCallName, toolCallArgs, event }) {
      record.toolCallEnds.push({ toolCallId: event.toolCallId, toolCallName, toolCallArgs });
    },
    onMessagesSnapshotEvent({ messages }) {
      // The subscriber sees the messages before the snapshot is applied: the stream's.
      if (record.messagesBeforeSnapshot === null) record.messagesBeforeSnapshot = copy(messages);
    },
    onRunFailed({ error }) {
      record.failed = describeError(error);
    },
  };
}

async function main() {
  const [url = process.env.LCSSE_URL, token = process.env.LCSSE_TOKEN, raw = process.env.AGUI_SCENARIO] =
    process.argv.slice(2);
  if (!url || token === undefined || !raw) {
    fail("usage: node tests/agui_client/run_agent.mjs URL TOKEN SCENARIO_JSON");
  }
  const scenario = JSON.parse(raw);
  const { HttpAgent, version } = await loadClient();
  const agent = new HttpAgent({
    url: `${url}lcsse/api/chains/${encodeURIComponent(scenario.chain ?? "default")}/agui`,
    headers: { Authorization: `token ${token}` },
    threadId: scenario.threadId,
    initialMessages: scenario.messages ?? [],
  });
  const tools = scenario.tools ?? [];
  const toolResults = scenario.toolResults ?? {};
  const timeoutMs = scenario.timeoutMs ?? 30000;
  const runs = [];
  const errors = [];

  for (let i = 0; i < (scenario.maxRuns ?? 1); i++) {
    const record = {
      events: [],
      runFinished: null,
      runErrors: [],
      toolCallEnds: [],
      messagesBeforeSnapshot: null,
      newMessages: null,
      result: null,
      error: null,
      failed: null,
      state: null,
      timedOut: false,
      answered: [],
    };
    runs.push(record);
    const abortController = new AbortController();
    const timer = setTimeout(() => {
      record.timedOut = true;
      agent.abortRun();
    }, timeoutMs);
    try {
      const result = await agent.runAgent({ tools, abortController }, subscriberFor(record));
      record.newMessages = result.newMessages;
      record.result = result.result ?? null;
    } catch (error) {
      record.error = describeError(error);
      errors.push(record.error);
    } finally {
      clearTimeout(timer);
    }
    record.state = copy(agent.state);
    if (record.timedOut) {
      const error = { name: "Timeout", message: `the run did not end within ${timeoutMs} ms` };
      record.error ??= error;
      errors.push(error);
      break;
    }
    // What an app does with the frontend tool calls the run left: run each, add its result.
    const pending = record.runFinished?.pendingToolCallIds ?? [];
    if (record.error || !pending.length) break;
    const calls = new Map(
      agent.messages.flatMap((m) => (m.role === "assistant" ? (m.toolCalls ?? []) : [])).map((c) => [c.id, c]),
    );
    for (const id of pending) {
      const name = calls.get(id)?.function?.name;
      if (name === undefined || !(name in toolResults)) continue;
      const message = { id: `app-tool-${i}-${id}`, role: "tool", toolCallId: id, content: String(toolResults[name]) };
      agent.addMessage(message);
      record.answered.push(message);
    }
    if (!record.answered.length) break;
  }

  process.stdout.write(
    JSON.stringify({ clientVersion: version, runs, messages: agent.messages, state: agent.state, errors, warnings }) +
      "\n",
  );
}

main().then(
  () => process.exit(0),
  (error) => fail(`run_agent.mjs crashed: ${error?.stack ?? error}`, 3),
);
