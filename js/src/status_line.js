// The status line under the answer: the status word, the running step, the first
// token's time, chunks, tokens per second, reconnects and the error, from a store.
// The word is the status itself, but for a run that waits for an answer from the user.

const WORDS = { interrupted: "waiting for you" };

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The step a run is in, as the status line says it: "node NAME", or "KIND NAME". */
function stepLabel(step) {
  return `${step.kind === "node" ? "node" : step.kind || "step"} ${step.name}`;
}

/** The status line of a store at time `now` (ms, the store's clock). */
export function statusLine(store, now = store.now()) {
  const { status } = store;
  if (status === "idle") return "idle";
  const running = status === "starting" || status === "streaming";
  const step = running ? store.run?.step : null;
  const parts = [WORDS[status] ?? status];
  if (step) parts.push(stepLabel(step));
  if (status === "starting" && store.ttft == null) {
    parts.push(`${Math.max(0, (now - store.started) / 1000).toFixed(1)} s`);
    return parts.join(" · ");
  }
  const ttft = store.ttft ?? store.runTtft;
  parts.push(`first token ${ttft != null ? `${Math.round(ttft)} ms` : "–"}`);
  parts.push(plural(store.chunks, "chunk"));
  const seconds = store.elapsed != null ? store.elapsed / 1000 : (now - store.started) / 1000;
  parts.push(`${store.chunks && seconds > 0 ? (store.chunks / seconds).toFixed(1) : "–"} tokens/s`);
  if (store.reconnects > 0) parts.push(plural(store.reconnects, "reconnect"));
  let line = parts.join(" · ");
  if (store.error) line += ` · error: ${store.error}`;
  return line;
}
