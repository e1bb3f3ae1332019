// The markdown parser: markdown-it (CommonMark, GFM tables and strikethrough) with raw
// HTML off (`<script>` in an answer is text), bare http(s) URLs linked, only safe
// link addresses accepted (safe_url.js), LaTeX math and task lists. It returns
// markdown-it's tokens; dom.js builds the page's nodes from them. markdown-it's own
// HTML renderer is never used.

import MarkdownIt from "markdown-it";

import { mathSyntax } from "./math_syntax.js";
import { safeUrl } from "./safe_url.js";
import { taskListSyntax } from "./task_lists.js";

const md = new MarkdownIt("default", { html: false, linkify: true, typographer: false });
// Only addresses with a scheme: "example.com" or "a@b.c" in prose stays text.
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
// A refused address leaves `[text](address)` as text: markdown-it makes no link of it.
md.validateLink = (url) => safeUrl(url) !== null;
md.use(mathSyntax);
md.use(taskListSyntax);

/**
 * The tokens of `source`. `env` collects reference definitions ("[id]: url"): the
 * streaming view checks it, since one changes links in the blocks before it.
 */
export function parse(source, env = {}) {
  return md.parse(source, env);
}
