// The plan: a graph whose state has a `todos` list of {content, status} (LangChain's
// TodoListMiddleware, deepagents' write_todos) shows it as a checklist that updates
// with each state_delta: every item's text and its status, as a word ("pending",
// "in progress", "completed") and an icon drawn by CSS (not a glyph: headless and
// minimal fonts lack them), so it reads the same without colour.
//
//   div.lcsse-plan
//     div.lcsse-plan-title          "plan · 1 of 2 completed"
//     ol.lcsse-plan-list
//       li.lcsse-todo[data-status=pending|in_progress|completed|other]
//         span.lcsse-todo-icon (aria-hidden), span.lcsse-todo-content, span.lcsse-todo-status
//
// An item's content and an unknown status are text (textContent): never HTML.

import { h } from "./dom.js";
import { asText, isObject } from "./values.js";

const TODOS_SHOWN = 200;
const KNOWN = { pending: "pending", in_progress: "in progress", completed: "completed" };

/** The todos of a state, [{content, status}], or null when it has no `todos` list. */
export function todosOf(state) {
  if (!isObject(state) || !Array.isArray(state.todos)) return null;
  return state.todos.filter(isObject).map((todo) => ({
    content: asText(todo.content),
    status: todo.status == null ? "pending" : asText(todo.status),
  }));
}

function todoItem(todo) {
  const known = Object.hasOwn(KNOWN, todo.status);
  const li = h("li", "lcsse-todo");
  li.dataset.status = known ? todo.status : "other";
  const icon = h("span", "lcsse-todo-icon");
  icon.setAttribute("aria-hidden", "true");
  li.append(icon, h("span", "lcsse-todo-content", todo.content), h("span", "lcsse-todo-status", known ? KNOWN[todo.status] : todo.status));
  return li;
}

/** The plan block: `update(todos)` with todosOf's list (null hides it). */
export function planView() {
  const el = h("div", "lcsse-plan");
  const title = h("div", "lcsse-plan-title");
  const list = h("ol", "lcsse-plan-list");
  el.append(title, list);
  el.hidden = true;
  let shown = null; // the todos shown, as JSON
  return {
    el,
    reset() {
      list.replaceChildren();
      shown = null;
      el.hidden = true;
    },
    update(todos) {
      const key = todos === null ? null : JSON.stringify(todos);
      if (key === shown) return;
      shown = key;
      el.hidden = todos === null;
      if (todos === null) return;
      const done = todos.filter((t) => t.status === "completed").length;
      let heading = `plan · ${done} of ${todos.length} completed`;
      if (todos.length > TODOS_SHOWN) heading += ` (the first ${TODOS_SHOWN} shown)`;
      title.textContent = heading;
      list.replaceChildren(...todos.slice(0, TODOS_SHOWN).map(todoItem));
    },
  };
}
