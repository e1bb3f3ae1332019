// The interrupt cards: a run that stopped for a human shows one card per open interrupt,
// an approval (a tool call to approve, edit, reject or answer for the tool) or an input
// (the interrupt's value and a reply box, or a small form for a simple response schema).
// Once every open interrupt has an answer they go as ONE resume (the store's `resume`),
// and the run that resume starts shows them read-only with what was decided. Every
// name, argument, description and value is text (textContent, form values): a
// `<img onerror=...>` in any of them shows as those characters.
//
//   div.lcsse-interrupts
//     div.lcsse-interrupts-note                       (several open: how many answered)
//     div.lcsse-interrupt[data-kind=approval|input][data-state=open|answered|sent]
//       div.lcsse-interrupt-title                     "approval needed" | "input needed"
//       approval: div.lcsse-action[data-decision] per action: div.lcsse-action-head
//         ("tool " span.lcsse-action-name), div.lcsse-action-description,
//         pre.lcsse-action-args, div.lcsse-action-buttons (button.lcsse-approve|edit|
//         reject|respond), div.lcsse-action-panel (textarea.lcsse-edit-args |
//         input.lcsse-reject-message | textarea.lcsse-respond-message,
//         div.lcsse-action-error, button.lcsse-confirm, button.lcsse-cancel),
//         pre.lcsse-action-edited, div.lcsse-action-decision
//       input: div.lcsse-interrupt-question, pre.lcsse-interrupt-value,
//         textarea.lcsse-reply | div.lcsse-reply-form (label.lcsse-field per property),
//         div.lcsse-interrupt-error, button.lcsse-resume "Resume"
//       div.lcsse-interrupt-decision                  "approved" | "1 of 2 decided" | ...

import { h } from "./dom.js";
import {
  approvalAnswer,
  decision,
  decisionLabel,
  formAnswer,
  formFields,
  parseArgs,
  prettyText,
  questionOf,
} from "./interrupts.js";
import { isObject } from "./values.js";

const BUTTONS = { approve: "Approve", edit: "Edit", reject: "Reject", respond: "Respond" };

/** Every control of a card, to disable at once when its answer is sent. */
function controls() {
  const list = [];
  let off = false;
  return {
    add(el) {
      list.push(el);
      el.disabled = off;
      return el;
    },
    disable() {
      off = true;
      for (const el of list) el.disabled = true;
    },
  };
}

/** One action of an approval: its call, its buttons, the panel a button opens, its decision. */
function actionBlock(action, ctl, onDecide) {
  const el = h("div", "lcsse-action");
  const head = h("div", "lcsse-action-head");
  head.append(document.createTextNode("tool "), h("span", "lcsse-action-name", action.name || "tool"));
  const description = h("div", "lcsse-action-description", action.description);
  description.hidden = !action.description;
  const args = h("pre", "lcsse-action-args", prettyText(action.args));
  const buttons = h("div", "lcsse-action-buttons");
  const panel = h("div", "lcsse-action-panel");
  panel.hidden = true;
  const edited = h("pre", "lcsse-action-edited");
  edited.hidden = true;
  const shown = h("div", "lcsse-action-decision");
  shown.hidden = true;
  el.append(head, description, args, buttons, panel, edited, shown);
  let current = null;

  const show = (d) => {
    current = d;
    el.dataset.decision = d.type;
    shown.textContent = decisionLabel(d);
    shown.hidden = false;
    edited.hidden = d.type !== "edit";
    if (d.type === "edit") edited.textContent = prettyText(d.edited_action.args);
    panel.hidden = true;
  };
  const decide = (d) => {
    show(d);
    onDecide(d);
  };

  /** The panel of Edit, Reject or Respond: one box, an error line, Confirm and Cancel. */
  const open = (type) => {
    const box = ctl.add(h(type === "reject" ? "input" : "textarea", `lcsse-${type}-${type === "edit" ? "args" : "message"}`));
    if (type === "edit") {
      box.rows = 6;
      box.value = prettyText(current?.type === "edit" ? current.edited_action.args : isObject(action.args) ? action.args : {});
    } else {
      box.setAttribute("placeholder", type === "reject" ? "why (optional)" : "the tool's answer (required)");
      if (type === "respond") box.rows = 2;
    }
    const error = h("div", "lcsse-action-error");
    error.hidden = true;
    const confirm = ctl.add(h("button", "lcsse-confirm", "Confirm"));
    const cancel = ctl.add(h("button", "lcsse-cancel", "Cancel"));
    const fail = (message) => {
      error.textContent = message;
      error.hidden = false;
    };
    confirm.addEventListener("click", () => {
      if (type === "edit") {
        const parsed = parseArgs(box.value);
        if (parsed.error) return fail(parsed.error);
        return decide(decision("edit", action, { args: parsed.args }));
      }
      const message = String(box.value ?? "").trim();
      if (type === "respond" && !message) return fail("a response is required");
      return decide(decision(type, action, { message }));
    });
    cancel.addEventListener("click", () => {
      panel.hidden = true;
    });
    panel.replaceChildren(box, error, confirm, cancel);
    panel.hidden = false;
  };

  for (const type of action.allowed) {
    const button = ctl.add(h("button", `lcsse-${type}`, BUTTONS[type]));
    button.addEventListener("click", () => (type === "approve" ? decide(decision("approve", action)) : open(type)));
    buttons.append(button);
  }
  return { el, show };
}

/** An approval: every action gets a decision; the answer goes once all have one. */
function approvalBody(card, interrupt, ctl, onAnswer) {
  const decisions = new Array(interrupt.actions.length).fill(null);
  const progress = () => {
    const done = decisions.filter(Boolean).length;
    if (decisions.length > 1 && done < decisions.length) card.status(`${done} of ${decisions.length} decided`);
  };
  const blocks = interrupt.actions.map((action, i) =>
    actionBlock(action, ctl, (d) => {
      decisions[i] = d;
      progress();
      if (decisions.every(Boolean)) {
        onAnswer({ interrupt, answer: approvalAnswer(interrupt, [...decisions]), decisions: [...decisions], labels: decisions.map(decisionLabel) });
      }
    }),
  );
  card.el.append(...blocks.map((b) => b.el));
  progress();
  return (record) => record.decisions?.forEach((d, i) => d && blocks[i]?.show(d));
}

/** A form control for one field of a simple response schema. */
function fieldControl(field, ctl) {
  let control;
  if (field.options) {
    control = h("select", "lcsse-field-input");
    const none = h("option", null, "");
    none.value = "";
    control.append(none);
    field.options.forEach((option, i) => {
      const item = h("option", null, String(option));
      item.value = String(i);
      control.append(item);
    });
    control.value = "";
  } else {
    control = h("input", "lcsse-field-input");
    control.type = field.type === "boolean" ? "checkbox" : field.type === "string" ? "text" : "number";
    if (field.type === "integer") control.step = "1";
  }
  control.setAttribute("name", field.name);
  return ctl.add(control);
}

/** An input: the value as text, a reply box (or a form), Resume. */
function inputBody(card, interrupt, ctl, onAnswer) {
  const question = questionOf(interrupt.value);
  const onlyQuestion = question && Object.keys(interrupt.value).length === 1;
  const ask = h("div", "lcsse-interrupt-question", question);
  ask.hidden = !question;
  const value = h("pre", "lcsse-interrupt-value", prettyText(interrupt.value));
  value.hidden = onlyQuestion || !value.textContent;
  card.el.append(ask, value);
  const fields = formFields(interrupt.schema);
  const inputs = {};
  let reply = null;
  if (fields) {
    const form = h("div", "lcsse-reply-form");
    for (const field of fields) {
      const label = h("label", "lcsse-field");
      label.append(h("span", "lcsse-field-name", field.title));
      if (field.required) label.append(h("span", "lcsse-field-required", "*"));
      inputs[field.name] = fieldControl(field, ctl);
      label.append(inputs[field.name]);
      if (field.description) label.append(h("span", "lcsse-field-description", field.description));
      form.append(label);
    }
    card.el.append(form);
  } else {
    reply = ctl.add(h("textarea", "lcsse-reply"));
    reply.rows = 2;
    reply.setAttribute("placeholder", "your answer");
    card.el.append(reply);
  }
  const error = h("div", "lcsse-interrupt-error");
  error.hidden = true;
  const resume = ctl.add(h("button", "lcsse-resume", "Resume"));
  card.el.append(error, resume);
  resume.addEventListener("click", () => {
    let answer = reply ? String(reply.value ?? "") : null; // the text as typed, never parsed
    if (fields) {
      const raw = {};
      for (const field of fields) {
        const input = inputs[field.name];
        raw[field.name] = field.type === "boolean" && !field.options ? Boolean(input.checked) : String(input.value ?? "");
      }
      const result = formAnswer(fields, raw);
      if (result.error) {
        error.textContent = result.error;
        error.hidden = false;
        return;
      }
      answer = result.value;
    }
    error.hidden = true;
    onAnswer({ interrupt, answer, labels: [`answered: ${prettyText(answer)}`] });
  });
  return (record) => {
    if (reply && typeof record.answer === "string") reply.value = record.answer;
  };
}

/**
 * One interrupt's card. `record` (an answer already sent): read-only, showing it.
 * Returns {el, sent(record)}: `sent` disables every control and shows the decision.
 */
function interruptCard(interrupt, { record = null, onAnswer = () => {} } = {}) {
  const el = h("div", "lcsse-interrupt");
  el.dataset.kind = interrupt.kind;
  el.dataset.state = "open";
  // One action shows its decision itself; the card's own line is for several (CSS).
  el.dataset.actions = String(Array.isArray(interrupt.actions) ? interrupt.actions.length : 0);
  const title = h("div", "lcsse-interrupt-title", interrupt.kind === "approval" ? "approval needed" : "input needed");
  el.append(title);
  const decided = h("div", "lcsse-interrupt-decision");
  decided.hidden = true;
  const ctl = controls();
  const card = {
    el,
    status(text) {
      decided.textContent = text;
      decided.hidden = !text;
    },
  };
  const answered = (r) => {
    el.dataset.state = "answered";
    card.status(r.labels.join("; "));
    onAnswer(r);
  };
  const fill = (interrupt.kind === "approval" ? approvalBody : inputBody)(card, interrupt, ctl, answered);
  el.append(decided);
  card.sent = (r) => {
    fill(r);
    card.status(r.labels.join("; "));
    el.dataset.state = "sent";
    title.textContent = interrupt.kind === "approval" ? "you decided" : "you answered";
    ctl.disable();
  };
  if (record) card.sent(record);
  return card;
}

/**
 * The cards of a store: `update(open, decided)` with the store's open interrupts and
 * the answers sent for the current run. Cards are rebuilt only when either list is a
 * new one (a new run, a resume, a reopen), so what the user types is kept meanwhile.
 * `onResume(records)` gets one answer per open interrupt, in order.
 */
export function interruptCards(onResume) {
  const el = h("div", "lcsse-interrupts");
  el.hidden = true;
  let shown = [null, null];
  return {
    el,
    update(open, decided) {
      if (shown[0] === open && shown[1] === decided) return;
      shown = [open, decided];
      el.replaceChildren();
      for (const record of decided) el.append(interruptCard(record.interrupt, { record }).el);
      const note = h("div", "lcsse-interrupts-note");
      note.hidden = open.length < 2;
      const answers = new Map();
      const count = () => {
        note.textContent = `${answers.size} of ${open.length} answered: the run resumes once every card has an answer`;
      };
      count();
      el.append(note);
      const cards = open.map((interrupt) =>
        interruptCard(interrupt, {
          onAnswer(record) {
            answers.set(interrupt.id, record);
            count();
            if (answers.size < open.length) return;
            const records = open.map((i) => answers.get(i.id));
            cards.forEach((c, i) => c.sent(records[i]));
            onResume(records);
          },
        }),
      );
      el.append(...cards.map((c) => c.el));
      el.hidden = !open.length && !decided.length;
    },
  };
}
