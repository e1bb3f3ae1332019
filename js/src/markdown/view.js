// The answer as markdown, kept up to date while it streams: on each update only the
// top-level blocks the new text can still change are parsed again and replaced; the
// blocks before them keep their DOM nodes (and a reader's selection in them).
//
// Why that is enough: markdown's block structure is read top-down, line by line, so
// once a later top-level block has started on a complete line, the blocks before it
// are settled; appended text cannot reach back into them. "Complete" needs a margin of
// one line: the last line may still grow ("***" is a rule, "***x" is text that joins
// the paragraph above), and a table's first line is one only once the line after it is
// its delimiter row. So a block is final when the next block starts at least two lines
// before the last one; everything from the first block that is not final is the tail,
// parsed again on the next update as a document of its own, which gives the same
// tokens as parsing everything (the tests check this at many cut points).
//
// Reference definitions ("[id]: https://...") are the exception: one can turn
// "[id]" in any block before it into a link. When one appears, the view renders the
// whole answer on every update from then on; answers rarely have them. Text that does
// not extend the last one (a new run) is rendered from scratch.

import { buildBlocks } from "./dom.js";
import { parse } from "./parser.js";

/** Offsets where each line of `text` starts ("\n" ends a line). */
function lineStarts(text) {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

export class MarkdownView {
  constructor(container) {
    this.container = container;
    this.reset();
  }

  /** Forget what is shown (the container is emptied at the next update). */
  reset() {
    this.source = null; // the text shown, CR and CRLF read as LF
    this.tailOffset = 0; // where the tail starts in `source`
    this.tailNodes = []; // the nodes of the tail's blocks, after the final ones
    this.finalCount = 0; // top-level nodes that will not change
    this.whole = false; // a reference definition was seen: render everything each time
  }

  /** Show `text`; returns the number of top-level blocks it parsed again. */
  update(text) {
    const source = text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
    if (source === this.source) return 0;
    const extended = this.source !== null && source.startsWith(this.source);
    if (!extended || this.whole) {
      const whole = extended && this.whole; // the same answer still has its definitions
      this.container.replaceChildren();
      this.reset();
      this.whole = whole;
    }
    this.source = source;
    return this.renderTail();
  }

  renderTail() {
    const tail = this.source.slice(this.tailOffset);
    const env = {};
    const blocks = buildBlocks(parse(tail, env));
    if (!this.whole && env.references && Object.keys(env.references).length && this.tailOffset > 0) {
      // A definition in the tail may change a final block before it: render it all.
      this.container.replaceChildren();
      const { source } = this;
      this.reset();
      this.source = source;
      this.whole = true;
      return this.renderTail();
    }
    if (env.references && Object.keys(env.references).length) this.whole = true;
    for (const node of this.tailNodes) this.container.removeChild(node);
    const starts = lineStarts(tail);
    const lastLine = starts.length - 1;
    let final = 0;
    if (!this.whole) {
      while (final + 1 < blocks.length && blocks[final + 1].line <= lastLine - 2) final += 1;
    }
    const nodes = blocks.map((b) => b.node);
    this.container.append(...nodes);
    if (final > 0) this.tailOffset += starts[blocks[final].line];
    this.finalCount += final;
    this.tailNodes = nodes.slice(final);
    return blocks.length;
  }
}

/** `source` as markdown in `container`, from scratch (what the view shows at the end). */
export function renderMarkdown(source, container) {
  new MarkdownView(container).update(source);
}
