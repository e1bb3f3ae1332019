// The cards around the answer: the reasoning (collapsed), a tool call's card (its
// arguments as they stream, then its result; timeline.js lays them out), and the
// retrieved sources. Every builder makes elements and sets text and attributes: a
// tool's name, arguments or result, or a source's title, with `<script>` or
// `<img onerror=...>` in it, shows as text. Source links only ever point to https
// addresses.

import { autoOpen, h, setText } from "./dom.js";
import { asText, isObject } from "./values.js";

/** The reasoning: collapsed, shown only once there is some. */
export function reasoningBlock() {
  const el = h("details", "lcsse-reasoning");
  const summary = h("summary", "lcsse-reasoning-summary", "reasoning");
  const text = h("pre", "lcsse-reasoning-text");
  el.append(summary, text);
  el.hidden = true;
  let shown = "";
  return {
    el,
    update(reasoning) {
      if (reasoning === shown) return;
      shown = reasoning;
      text.textContent = reasoning;
      el.hidden = !reasoning;
    },
  };
}

const TOOL_STATE_LABELS = { streaming: "running", called: "running", done: "done", error: "error" };

function argsText(call) {
  if (call.args === null || call.args === undefined) return call.argsText;
  if (typeof call.args === "string") return call.args;
  try {
    return JSON.stringify(call.args, null, 1) ?? call.argsText;
  } catch (_) {
    return call.argsText;
  }
}

/**
 * One tool call's card: "tool NAME · STATE" (text, not an emoji: headless and
 * minimal fonts have no glyph for one), its arguments as they stream, its result.
 * Open until the result came, then closed; once the user opened or closed it, left alone.
 */
export function toolCard() {
  const el = h("details", "lcsse-tool");
  const summary = h("summary", "lcsse-tool-summary");
  const name = h("span", "lcsse-tool-name");
  const state = h("span", "lcsse-tool-state");
  summary.append(document.createTextNode("tool "), name, document.createTextNode(" · "), state);
  const args = h("pre", "lcsse-tool-args");
  const result = h("pre", "lcsse-tool-result");
  result.hidden = true;
  el.append(summary, args, result);
  const want = autoOpen(el, summary, true);
  return {
    el,
    update(call) {
      const waiting = Boolean(call.awaitingApproval); // an interrupt holds it (run_events.js)
      const label = waiting ? "waiting for approval" : (TOOL_STATE_LABELS[call.state] ?? call.state);
      setText(name, call.name || "tool");
      setText(state, label);
      el.dataset.state = waiting ? "waiting" : call.state;
      setText(args, argsText(call));
      if (call.result !== null) {
        setText(result, call.result);
        result.hidden = false;
        result.dataset.status = call.resultStatus || "";
      }
      want(call.result === null);
    },
  };
}

const SOURCE_CONTENT_LIMIT = 240;

function shorten(text, limit) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}

function metadataText(value) {
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}

/** A source's address when it is https (anything else, javascript: included, is text). */
function sourceHref(metadata) {
  return [metadata.source, metadata.url].find((u) => typeof u === "string" && /^https:\/\//i.test(u)) ?? null;
}

function sourceItem(doc, index) {
  const li = h("li", "lcsse-source");
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const title = metadataText(meta.title) || metadataText(meta.source) || metadataText(meta.url) || `document ${index + 1}`;
  const href = sourceHref(meta);
  let head;
  if (href) {
    head = h("a", "lcsse-source-link", title);
    head.setAttribute("href", href);
    head.setAttribute("target", "_blank");
    head.setAttribute("rel", "noopener noreferrer");
  } else {
    head = h("span", "lcsse-source-title", title);
  }
  li.append(head);
  const content = shorten(asText(doc.page_content), SOURCE_CONTENT_LIMIT);
  if (content) li.append(h("div", "lcsse-source-content", content));
  return li;
}

/** The retrieved documents: "sources (N)", collapsed, items appended as they come. */
export function sourcesBlock() {
  const el = h("details", "lcsse-sources");
  const summary = h("summary", "lcsse-sources-summary");
  const list = h("ol", "lcsse-sources-list");
  el.append(summary, list);
  el.hidden = true;
  let shown = 0;
  return {
    el,
    reset() {
      list.replaceChildren();
      shown = 0;
      el.hidden = true;
    },
    update(sources) {
      if (sources.length === shown) return;
      for (; shown < sources.length; shown += 1) list.append(sourceItem(sources[shown], shown));
      summary.textContent = `sources (${sources.length})`;
      el.hidden = false;
    },
  };
}
