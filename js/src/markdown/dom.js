// markdown-it tokens to DOM nodes, built with createElement, createTextNode,
// textContent and setAttribute only: nothing of the answer is ever parsed as HTML (raw
// HTML is text already: the parser has `html: false`). Every element comes from a
// fixed list of tags; a token type this file does not know shows its text.
//
// Choices:
// - Headings start at h3 ("# Title" is an <h3>): an answer sits inside a notebook,
//   whose own headings it must not outshout.
// - A soft line break is a space, as CommonMark allows, so "5…\n4…" reads "5… 4…" in
//   textContent too.
// - Images become links to the image ("image: ALT" in the page): no request leaves the
//   page for an address a model wrote.
// - Links open in a new tab, with rel="noopener noreferrer"; their addresses passed
//   safe_url.js in the parser and pass it again here.

import { mathNode } from "./math.js";
import { safeUrl } from "./safe_url.js";

const HEADING_OFFSET = 2;

/** Block and inline container tokens (`X_open` .. `X_close`) and their tags. */
const CONTAINERS = {
  paragraph: "p",
  blockquote: "blockquote",
  bullet_list: "ul",
  ordered_list: "ol",
  list_item: "li",
  table: "table",
  thead: "thead",
  tbody: "tbody",
  tr: "tr",
  th: "th",
  td: "td",
  em: "em",
  strong: "strong",
  s: "s",
};

const ALIGN = /text-align:\s*(left|right|center)/;

function text(value) {
  return document.createTextNode(value);
}

function link(href, title) {
  const a = document.createElement("a");
  a.setAttribute("href", href);
  a.setAttribute("target", "_blank");
  a.setAttribute("rel", "noopener noreferrer");
  if (title) a.setAttribute("title", title);
  return a;
}

/** The element an `X_open` token opens (null for a tight list's hidden paragraph). */
function opened(token) {
  const kind = token.type.slice(0, -"_open".length);
  if (token.hidden) return null;
  if (kind === "heading") {
    const level = Number(token.tag.slice(1)) || 1;
    return document.createElement(`h${Math.min(level + HEADING_OFFSET, 6)}`);
  }
  if (kind === "link") {
    const href = safeUrl(token.attrGet("href"));
    return href ? link(href, token.attrGet("title")) : document.createElement("span");
  }
  const el = document.createElement(CONTAINERS[kind] ?? "span");
  const start = token.attrGet("start"); // an ordered list that does not start at 1
  if (kind === "ordered_list" && start !== null) el.setAttribute("start", String(Number(start) || 1));
  const align = ALIGN.exec(token.attrGet("style") || "");
  if (align) el.style.textAlign = align[1];
  const className = token.attrGet("class"); // only the task-list plugin sets one
  if (className) el.className = className;
  return el;
}

/** The text of inline tokens, marks dropped (an image's alt text). */
function plainText(children) {
  return (children ?? []).map((t) => (t.children ? plainText(t.children) : t.type === "softbreak" ? " " : t.content)).join("");
}

function checkbox(checked) {
  const box = document.createElement("input");
  box.setAttribute("type", "checkbox");
  box.setAttribute("disabled", "");
  if (checked) box.setAttribute("checked", "");
  box.className = "task-list-item-checkbox";
  return box;
}

function codeBlock(content, info = "") {
  const pre = document.createElement("pre");
  const code = document.createElement("code");
  const lang = info.trim().split(/\s+/)[0];
  if (/^[\w+#.-]+$/.test(lang)) code.className = `language-${lang}`;
  code.textContent = content.endsWith("\n") ? content.slice(0, -1) : content;
  pre.append(code);
  return pre;
}

/** A display formula block: MathML once closed, its source while it is not (math_syntax.js). */
function mathBlock(token) {
  if (!token.meta.closed) {
    const pre = document.createElement("pre");
    pre.className = "lcsse-math-source";
    pre.textContent = token.meta.source;
    return pre;
  }
  return mathNode(token.content, { display: true, block: true, source: token.meta.source });
}

/** Append the nodes of an inline token's children to `parent`. */
function appendInline(parent, children) {
  const stack = [parent];
  for (const token of children) {
    const top = stack[stack.length - 1];
    if (token.nesting === 1) {
      const el = opened(token);
      top.append(el);
      stack.push(el);
      continue;
    }
    if (token.nesting === -1) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    switch (token.type) {
      case "text":
        top.append(text(token.content));
        break;
      case "softbreak":
        top.append(text(" "));
        break;
      case "hardbreak":
        top.append(document.createElement("br"));
        break;
      case "code_inline": {
        const code = document.createElement("code");
        code.textContent = token.content;
        top.append(code);
        break;
      }
      case "image": {
        const href = safeUrl(token.attrGet("src"));
        const alt = plainText(token.children);
        if (!href) {
          top.append(text(alt));
          break;
        }
        const a = link(href, token.attrGet("title") || href);
        a.className = "lcsse-image-link";
        a.textContent = alt || href;
        top.append(a);
        break;
      }
      case "math_inline":
        top.append(mathNode(token.content, { display: token.meta.display, source: token.meta.source }));
        break;
      case "task_checkbox":
        top.append(checkbox(token.meta.checked));
        break;
      default: // html_inline (text with html: false), and anything new: its text
        if (token.content) top.append(text(token.content));
    }
  }
}

/** The node of a block token that has no children (code, rule, math). */
function leafBlock(token) {
  switch (token.type) {
    case "fence":
      return codeBlock(token.content, token.info);
    case "code_block":
      return codeBlock(token.content);
    case "hr":
      return document.createElement("hr");
    case "math_block":
      return mathBlock(token);
    default: {
      // html_block (never made with html: false), and anything new: its text
      const p = document.createElement("p");
      p.textContent = token.content;
      return p;
    }
  }
}

/**
 * The top-level blocks of a token stream: [{node, line}], `line` being the block's
 * first source line (markdown-it's `map`). Every top-level block is one node.
 */
export function buildBlocks(tokens) {
  const blocks = [];
  const stack = []; // open elements; a hidden paragraph repeats its parent
  const place = (node, token) => {
    if (stack.length) stack[stack.length - 1].append(node);
    else blocks.push({ node, line: token.map ? token.map[0] : 0 });
  };
  for (const token of tokens) {
    if (token.nesting === 1) {
      const el = opened(token);
      if (el) place(el, token);
      stack.push(el ?? stack[stack.length - 1]);
    } else if (token.nesting === -1) {
      stack.pop();
    } else if (token.type === "inline") {
      if (stack.length) appendInline(stack[stack.length - 1], token.children ?? []);
    } else {
      place(leafBlock(token), token);
    }
  }
  return blocks;
}
