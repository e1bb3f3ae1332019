// LaTeX to MathML nodes with temml: no fonts or stylesheet to ship, the browser lays
// MathML out itself. temml.render builds the formula with document.createElementNS and
// createTextNode (no HTML string, no innerHTML). A formula temml cannot read never
// throws out of here: it shows as its source, in a <code>, with temml's message as the
// title. `trust: false` (temml's default, spelled out) keeps \href, \url and
// \includegraphics from making links or images; `maxSize` caps \rule and spaces.

import temml from "temml";

const OPTIONS = { throwOnError: true, annotate: true, trust: false, maxSize: [50, 50], maxExpand: 1000 };

/**
 * A node for the formula `tex`: `display` for display style, `block` for a formula on
 * lines of its own (a <div>; a <span> inside a paragraph, even in display style, so a
 * paragraph holds only phrasing content). `source` is what the answer wrote.
 */
export function mathNode(tex, { display = false, block = false, source = tex } = {}) {
  const holder = document.createElement(block ? "div" : "span");
  holder.className = display ? "lcsse-math lcsse-math-display" : "lcsse-math";
  try {
    temml.render(tex, holder, { ...OPTIONS, displayMode: display });
    return holder;
  } catch (error) {
    const code = document.createElement("code");
    code.className = "lcsse-math-error";
    code.textContent = source;
    code.setAttribute("title", String(error?.message ?? error).trim().split("\n")[0]);
    return code;
  }
}
