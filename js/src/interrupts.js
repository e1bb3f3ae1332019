// Interrupts, pure: a run that stopped for a human (LangGraph `interrupt()`, LangChain's
// HumanInTheLoopMiddleware) sends one `interrupt` payload per open interrupt; this module
// reads them into a shape the cards can trust (every field checked, nothing thrown) and
// builds the answers the wire contract wants: LangChain's decision objects, a batched
// approval's `{"decisions": [...]}`, a per-call one's single decision, an input's value,
// and the resume VALUE, always the map `{"<interrupt id>": answer}`. The answer to a
// plain reply box is its text as a string, even when it looks like JSON: what the user
// typed is what the graph gets. No DOM here (interrupt_cards.js draws them).

import { asText, isObject } from "./values.js";

/** The decision types, in the order the cards show their buttons. */
export const DECISIONS = ["approve", "edit", "reject", "respond"];
const DEFAULT_DECISIONS = ["approve", "edit", "reject"];
const FIELD_TYPES = new Set(["string", "number", "integer", "boolean"]);

function allowedOf(list) {
  const allowed = Array.isArray(list) ? DECISIONS.filter((d) => list.includes(d)) : [];
  return allowed.length ? allowed : DEFAULT_DECISIONS;
}

function actionOf(raw, allowed) {
  if (!isObject(raw)) return null;
  return {
    toolCallId: raw.tool_call_id == null ? null : asText(raw.tool_call_id),
    name: asText(raw.name),
    args: raw.args === undefined ? {} : raw.args,
    description: asText(raw.description),
    allowed: allowedOf(raw.allowed_decisions ?? allowed),
  };
}

/** The actions of an approval: `actions`, else what its value holds (either mode). */
function actionsOf(payload) {
  if (Array.isArray(payload.actions)) return payload.actions.map((a) => actionOf(a)).filter(Boolean);
  const value = payload.value;
  if (isObject(value) && Array.isArray(value.action_requests)) {
    const configs = Array.isArray(value.review_configs) ? value.review_configs.filter(isObject) : [];
    return value.action_requests
      .map((a) => actionOf(a, configs.find((c) => isObject(a) && c.action_name === a.name)?.allowed_decisions))
      .filter(Boolean);
  }
  return isObject(value) && value.name != null ? [actionOf(value)] : [];
}

/**
 * An `interrupt` payload as the cards show it, or null when it has no id:
 * {id, kind: "approval"|"input", value, schema, mode: "batched"|"per_call", actions, payload}.
 * An approval whose actions cannot be read is shown as an input (its value, as text).
 */
export function readInterrupt(payload) {
  if (!isObject(payload) || payload.id == null || payload.id === "") return null;
  const value = payload.value;
  let actions = payload.kind === "approval" ? actionsOf(payload) : [];
  let mode = payload.mode === "per_call" || payload.mode === "batched" ? payload.mode : null;
  mode ??= isObject(value) && Array.isArray(value.action_requests) ? "batched" : "per_call";
  if (mode === "per_call") actions = actions.slice(0, 1); // one decision answers it
  return {
    id: asText(payload.id),
    kind: actions.length ? "approval" : "input",
    value,
    schema: isObject(payload.response_schema) ? payload.response_schema : null,
    mode,
    actions,
    payload,
  };
}

/** The readable interrupts of a list of payloads, in order, one per id (the last wins). */
export function readInterrupts(payloads) {
  const byId = new Map();
  for (const payload of Array.isArray(payloads) ? payloads : []) {
    const interrupt = readInterrupt(payload);
    if (interrupt) byId.set(interrupt.id, interrupt);
  }
  return [...byId.values()];
}

// -- answers ------------------------------------------------------------------------------

/** One decision object, LangChain's shape; `message` only for reject (optional) and respond. */
export function decision(type, action, { args, message = "" } = {}) {
  if (type === "edit") return { type, edited_action: { name: action.name, args } };
  if (type === "respond") return { type, message };
  if (type === "reject" && message) return { type, message };
  return { type };
}

/** What a card says a decision was: "approved", "edited", "rejected: why", "responded: ...". */
export function decisionLabel(d) {
  const words = { approve: "approved", edit: "edited", reject: "rejected", respond: "responded" };
  const word = words[d.type] ?? d.type;
  return d.message ? `${word}: ${d.message}` : word;
}

/** An approval's answer: `{"decisions": [...]}` (batched) or the one decision (per call). */
export function approvalAnswer(interrupt, decisions) {
  return interrupt.mode === "per_call" ? decisions[0] : { decisions };
}

/** The resume VALUE: `{"<interrupt id>": answer}` for every answered interrupt, in order. */
export function resumeValue(records) {
  return Object.fromEntries(records.map((r) => [r.interrupt.id, r.answer]));
}

/** The edit box's text as the arguments: a JSON object, or an error message. */
export function parseArgs(text) {
  let args;
  try {
    args = JSON.parse(text);
  } catch (error) {
    return { error: `not valid JSON: ${error.message}` };
  }
  return isObject(args) ? { args } : { error: "the arguments must be a JSON object" };
}

// -- showing values -----------------------------------------------------------------------

/** A value as text: a string as it is, anything else as pretty JSON. */
export function prettyText(value) {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  try {
    return JSON.stringify(value, null, 2) ?? asText(value);
  } catch (_) {
    return asText(value);
  }
}

/** The question an input interrupt asks: its value's string `question` or `message`. */
export function questionOf(value) {
  if (!isObject(value)) return "";
  for (const key of ["question", "message"]) if (typeof value[key] === "string") return value[key];
  return "";
}

// -- a response schema as a small form ------------------------------------------------------

/**
 * The form a `response_schema` asks for: [{name, type, options, required, title,
 * description}], or null when it is not an object schema of simple properties
 * (string, number, integer, boolean; `enum` of such values): then a reply box.
 */
export function formFields(schema) {
  if (!isObject(schema) || schema.type !== "object" || !isObject(schema.properties)) return null;
  const required = Array.isArray(schema.required) ? schema.required : [];
  const fields = [];
  for (const [name, prop] of Object.entries(schema.properties)) {
    if (!isObject(prop) || !FIELD_TYPES.has(prop.type)) return null;
    const options = prop.enum === undefined ? null : prop.enum;
    if (options !== null && (!Array.isArray(options) || !options.length || options.some((o) => o === null || typeof o === "object"))) return null;
    fields.push({
      name,
      type: prop.type,
      options,
      required: required.includes(name),
      title: typeof prop.title === "string" && prop.title ? prop.title : name,
      description: typeof prop.description === "string" ? prop.description : "",
    });
  }
  return fields.length ? fields : null;
}

/**
 * The form's answer from each field's raw value (a checkbox: true/false; a choice: the
 * index of its option, "" for none; anything else: the text): {value} or {error}.
 * Empty optional fields are left out.
 */
export function formAnswer(fields, raw) {
  const value = {};
  for (const field of fields) {
    const input = raw[field.name];
    if (field.type === "boolean" && !field.options) {
      value[field.name] = Boolean(input);
      continue;
    }
    const text = typeof input === "string" ? input : "";
    if (text === "" || (field.type !== "string" && !text.trim())) {
      if (field.required) return { error: `${field.title} is required` };
      continue;
    }
    if (field.options) {
      value[field.name] = field.options[Number(text)];
    } else if (field.type === "string") {
      value[field.name] = text;
    } else {
      const n = Number(text.trim());
      if (!Number.isFinite(n) || (field.type === "integer" && !Number.isInteger(n))) {
        return { error: `${field.title} must be ${field.type === "integer" ? "an integer" : "a number"}` };
      }
      value[field.name] = n;
    }
  }
  return { value };
}
