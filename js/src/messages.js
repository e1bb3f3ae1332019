// Chat messages as the widget's "@messages" input holds them: which one is the user's,
// and a message's content as text (a string, or the text parts of content blocks).

import { isObject } from "./values.js";

/** input_key for chat models and agents: the prompt is the next user message. */
export const MESSAGES_KEY = "@messages";

export function isUserMessage(message) {
  return isObject(message) && (message.role === "user" || message.role === "human" || message.type === "human");
}

/** A message's content as text: a string, or the text parts of a list of content blocks. */
export function messageText(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (typeof part === "string" ? part : isObject(part) && typeof part.text === "string" ? part.text : ""))
    .join("");
}

