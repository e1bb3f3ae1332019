// LaTeX math in markdown, as model answers write it: a markdown-it plugin that turns
// `$...$` and `\(...\)` into `math_inline` tokens and `$$...$$` and `\[...\]` into
// display math (`math_block` on lines of their own, `math_inline` with `display` inside
// a paragraph). It only finds the math; math.js renders it.
//
// The dollar rule is pandoc's, so prices stay text: an opening `$` must be followed by a
// non-space, a closing `$` preceded by a non-space and not followed by a digit
// ("$5 and $10" has no closing `$`: the second one follows a space). `\$` is a dollar.
//
// A display block ends at its closing `$$` (or `\]`). One that has none ends at a
// blank line or the end of its container and is shown as its source (`closed: false`):
// while an answer streams, that is the block still being written, and at the end it is
// the model's mistake, which must not swallow the rest of the answer.

const DOLLAR = 0x24;
const BACKSLASH = 0x5c;

function isSpace(code) {
  return code === 0x20 || code === 0x09 || code === 0x0a;
}

function isDigit(code) {
  return code >= 0x30 && code <= 0x39;
}

/** True when the character at `pos` follows an odd number of backslashes (escaped). */
function escaped(src, pos) {
  let n = 0;
  for (let i = pos - 1; i >= 0 && src.charCodeAt(i) === BACKSLASH; i -= 1) n += 1;
  return n % 2 === 1;
}

/** The end of single-dollar math opened at `start` (the index of its closing `$`), or -1. */
function closingDollar(src, start, max) {
  if (start + 1 >= max || isSpace(src.charCodeAt(start + 1))) return -1;
  for (let i = start + 1; i < max; i += 1) {
    if (src.charCodeAt(i) !== DOLLAR || escaped(src, i)) continue;
    if (i === start + 1) return -1; // "$$" is display math, not an empty formula
    if (!isSpace(src.charCodeAt(i - 1)) && !isDigit(src.charCodeAt(i + 1))) return i;
  }
  return -1;
}

/** The index of `close` after `from`, not escaped, or -1. */
function closingDelimiter(src, close, from, max) {
  for (let i = src.indexOf(close, from); i !== -1 && i + close.length <= max; i = src.indexOf(close, i + 1)) {
    if (!escaped(src, i)) return i;
  }
  return -1;
}

const INLINE_DELIMITERS = [
  // [open, close, display]
  ["$$", "$$", true],
  ["\\(", "\\)", false],
  ["\\[", "\\]", true],
];

function mathInline(state, silent) {
  const { src, pos, posMax: max } = state;
  const code = src.charCodeAt(pos);
  if (code !== DOLLAR && code !== BACKSLASH) return false;
  let open = "";
  let close = "";
  let display = false;
  let contentStart = 0;
  let end = -1; // index of the closing delimiter
  for (const [o, c, d] of INLINE_DELIMITERS) {
    if (src.startsWith(o, pos)) {
      [open, close, display] = [o, c, d];
      contentStart = pos + o.length;
      end = closingDelimiter(src, c, contentStart, max);
      break;
    }
  }
  if (!open && code === DOLLAR) {
    if (escaped(src, pos)) return false;
    [open, close, contentStart] = ["$", "$", pos + 1];
    end = closingDollar(src, pos, max);
  }
  if (!open || end === -1) return false;
  const content = src.slice(contentStart, end);
  if (!content.trim()) return false;
  if (!silent) {
    const token = state.push("math_inline", "math", 0);
    token.content = content;
    token.markup = open;
    token.meta = { display, source: src.slice(pos, end + close.length) };
  }
  state.pos = end + close.length;
  return true;
}

function lineText(state, line) {
  return state.src.slice(state.bMarks[line] + state.tShift[line], state.eMarks[line]);
}

function mathBlock(state, startLine, endLine, silent) {
  if (state.sCount[startLine] - state.blkIndent >= 4) return false; // indented code
  const first = lineText(state, startLine);
  const open = first.startsWith("$$") ? "$$" : first.startsWith("\\[") ? "\\[" : "";
  if (!open) return false;
  const close = open === "$$" ? "$$" : "\\]";
  const rest = first.slice(2).trimEnd();
  const closesHere = rest.endsWith(close) && !escaped(rest, rest.length - close.length);
  // "$$x$$ and more" is display math inside a paragraph: the inline rule's.
  if (!closesHere && closingDelimiter(rest, close, 0, rest.length) !== -1) return false;
  if (silent) return true;

  const lines = []; // the formula's lines, without the delimiters
  const raw = [first]; // the block as written, shown when it is not closed
  let closed = false;
  let next = startLine + 1;
  if (closesHere) {
    lines.push(rest.slice(0, -close.length));
    closed = true;
  } else {
    lines.push(rest);
    for (; next < endLine; next += 1) {
      const start = state.bMarks[next] + state.tShift[next];
      if (start >= state.eMarks[next]) break; // a blank line: unclosed
      if (state.sCount[next] < state.blkIndent) break; // dedented: the container ended
      const text = lineText(state, next).trimEnd();
      raw.push(text);
      if (text.endsWith(close) && !escaped(text, text.length - close.length)) {
        lines.push(text.slice(0, -close.length));
        closed = true;
        next += 1;
        break;
      }
      lines.push(text);
    }
  }
  const token = state.push("math_block", "math", 0);
  token.block = true;
  token.content = lines.join("\n").trim();
  token.markup = open;
  token.map = [startLine, next];
  token.meta = { display: true, closed, source: raw.join("\n") };
  state.line = next;
  return true;
}

/** The plugin: md.use(mathSyntax). */
export function mathSyntax(md) {
  // Before `escape`, which would read `\(` as an escaped parenthesis.
  md.inline.ruler.before("escape", "math_inline", mathInline);
  md.block.ruler.before("fence", "math_block", mathBlock, { alt: ["paragraph", "reference", "blockquote", "list"] });
}
