// The prompt box and the `input` trait, per `input_key`: what the box shows for the
// input, and the input a run is asked with from what the box holds.

import { MESSAGES_KEY, isUserMessage, messageText } from "./messages.js";
import { isObject } from "./values.js";

/** What the prompt box shows for the `input` trait, per `input_key`. */
export function promptText(model) {
  const inputKey = model.get("input_key");
  const value = model.get("input") ?? {};
  if (inputKey === MESSAGES_KEY) {
    // The user's question: the last user message of the input (never JSON), or empty.
    if (typeof value === "string") return value;
    const messages = isObject(value) && Array.isArray(value.messages) ? value.messages : [];
    const user = [...messages].reverse().find(isUserMessage);
    return user ? messageText(user.content) : "";
  }
  if (inputKey === ".") return String(value);
  if (inputKey) return String(value[inputKey] ?? "");
  return JSON.stringify(value, null, 1);
}

/** The input a run is asked with, from the prompt box (throws when "" and not JSON). */
export function promptInput(model, text) {
  const inputKey = model.get("input_key");
  if (inputKey === MESSAGES_KEY) {
    // The conversation so far goes along only when the widget keeps it (a graph with
    // no checkpointer); a checkpointer's thread has it already and gets the new message.
    const conversation = model.get("keep_conversation") ? model.get("conversation") : [];
    const input = model.get("input");
    const rest = isObject(input) ? input : {};
    return { ...rest, messages: [...(Array.isArray(conversation) ? conversation : []), { role: "user", content: text }] };
  }
  if (inputKey === ".") return text;
  if (inputKey) return { ...(model.get("input") ?? {}), [inputKey]: text };
  return JSON.parse(text);
}
