// A small AG-UI browser app: @ag-ui/client's HttpAgent, bundled for the browser with
// esbuild (tests/e2e/test_browser_agui.py does it at test time), asks a chain one question
// and shows the conversation as it arrives.
//
// Where it runs: an index.html with <ol id="messages"> and <p id="status"> (the test
// writes one), served from ANOTHER origin than the Jupyter server, as an AG-UI frontend
// is (a dev server, a CopilotKit app).
//
// Configuration, from window.AGUI_APP_CONFIG if the page sets it, else the page's query
// string: server (the Jupyter server's root URL, base_url included, ending in "/"),
// token (sent as "Authorization: token ..."), chain (default "agent"), question,
// timeoutMs (default 30000).
//
// Each message is rendered as text (textContent only: what an agent says is never HTML):
// the user's question, the assistant's tool call (name and arguments), the tool's result
// and the assistant's answer, each an <li data-kind="user|tool-call|tool-result|answer">.
// When the run ends, or fails, window.__result holds what happened (messages, event
// types, RUN_FINISHED, the error) and window.__done is true.

import { HttpAgent } from "@ag-ui/client";

function readConfig() {
  const query = new URLSearchParams(window.location.search);
  const given = window.AGUI_APP_CONFIG ?? {};
  const pick = (name, fallback) => given[name] ?? query.get(name) ?? fallback;
  return {
    server: pick("server", ""),
    token: pick("token", ""),
    chain: pick("chain", "agent"),
    question: pick("question", "What is 6 times 7?"),
    timeoutMs: Number(pick("timeoutMs", 30000)),
  };
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function argumentLines(raw) {
  let parsed;
  try {
    parsed = JSON.parse(raw || "{}");
  } catch {
    return [raw]; // still streaming, or not JSON: show what arrived
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return [JSON.stringify(parsed)];
  }
  return Object.entries(parsed).map(
    ([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`,
  );
}

function messageItems(message, toolNames) {
  const items = [];
  const text = typeof message.content === "string" ? message.content : "";
  if (message.role === "user") {
    const li = element("li", "message user");
    li.dataset.kind = "user";
    li.append(element("span", "who", "You"), element("p", "text", text));
    items.push(li);
  } else if (message.role === "assistant") {
    for (const call of message.toolCalls ?? []) {
      const li = element("li", "message tool-call");
      li.dataset.kind = "tool-call";
      li.dataset.toolCallId = call.id;
      li.append(element("span", "who", "Tool call"), element("p", "tool-name", call.function.name));
      for (const line of argumentLines(call.function.arguments)) {
        li.append(element("code", "tool-args", line));
      }
      items.push(li);
    }
    if (text) {
      const li = element("li", "message answer");
      li.dataset.kind = "answer";
      li.append(element("span", "who", "Assistant"), element("p", "text", text));
      items.push(li);
    }
  } else if (message.role === "tool") {
    const li = element("li", "message tool-result");
    li.dataset.kind = "tool-result";
    li.dataset.toolCallId = message.toolCallId;
    const name = toolNames.get(message.toolCallId) ?? "tool";
    li.append(element("span", "who", `Result of ${name}`), element("p", "text", text));
    items.push(li);
  }
  return items;
}

function render(messages) {
  const list = document.getElementById("messages");
  const toolNames = new Map(
    messages.flatMap((m) => (m.toolCalls ?? []).map((c) => [c.id, c.function.name])),
  );
  list.replaceChildren(...messages.flatMap((m) => messageItems(m, toolNames)));
}

function setStatus(text, kind) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.dataset.kind = kind;
}

function describeError(error) {
  const message = String(error?.message ?? error);
  let hint = "";
  if (error?.name === "TypeError" && error.status === undefined) {
    // What fetch says for a refused CORS preflight, an unreadable cross-origin
    // response or a server that is not there: the browser gives no more to the page.
    hint =
      "the browser could not read the server's answer: a network error, or CORS " +
      "(a page on another origin needs the Jupyter server to allow it: " +
      "ServerApp.allow_origin); the browser console says which";
  }
  return {
    name: error?.name ?? "Error",
    message,
    status: error?.status ?? null,
    payload: error?.payload ?? null,
    hint,
  };
}

async function main() {
  const config = readConfig();
  const result = {
    config: { server: config.server, chain: config.chain, question: config.question },
    events: [],
    runFinished: null,
    runErrors: [],
    messages: [],
    error: null,
    timedOut: false,
  };
  window.__result = result;
  document.getElementById("server").textContent = config.server;
  if (!config.server) throw new Error("no server URL: pass ?server=... (and &token=...)");

  const agent = new HttpAgent({
    url: `${config.server}lcsse/api/chains/${encodeURIComponent(config.chain)}/agui`,
    headers: config.token ? { Authorization: `token ${config.token}` } : {},
    initialMessages: [{ id: "u1", role: "user", content: config.question }],
  });
  render(agent.messages);
  setStatus("Running…", "running");
  const timer = setTimeout(() => {
    result.timedOut = true;
    agent.abortRun();
  }, config.timeoutMs);
  try {
    await agent.runAgent(
      {},
      {
        onEvent({ event }) {
          result.events.push(event.type);
        },
        onMessagesChanged({ messages }) {
          render(messages);
        },
        onRunFinishedEvent({ outcome, pendingToolCallIds }) {
          result.runFinished = { outcome, pendingToolCallIds: pendingToolCallIds ?? [] };
        },
        onRunErrorEvent({ event }) {
          result.runErrors.push({ message: event.message, code: event.code ?? null });
        },
      },
    );
  } finally {
    clearTimeout(timer);
    result.messages = JSON.parse(JSON.stringify(agent.messages));
    render(agent.messages);
  }
  if (result.timedOut) throw new Error(`the run did not end within ${config.timeoutMs} ms`);
  if (result.runErrors.length) throw new Error(`RUN_ERROR: ${result.runErrors[0].message}`);
  setStatus(`Done (${result.runFinished?.outcome ?? "no RUN_FINISHED"})`, "done");
}

main()
  .catch((error) => {
    const described = describeError(error);
    window.__result = { ...(window.__result ?? {}), error: described };
    const where = described.status ? ` (HTTP ${described.status})` : "";
    setStatus(
      `Error${where}: ${described.message}${described.hint ? ` — ${described.hint}` : ""}`,
      "error",
    );
  })
  .finally(() => {
    window.__done = true;
  });
