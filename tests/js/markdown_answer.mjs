// A realistic model answer in markdown, for the streaming renderer's tests and
// benchmarks/js/markdown_stream.mjs: headings, paragraphs with inline code, links,
// prices and inline math, code fences with blank lines inside, loose and nested lists,
// a task list, tables, display math in both spellings, a blockquote with a list.

/** One section of the answer; `n` varies the text so repeated sections differ. */
export function section(n) {
  return `## ${n}. Streaming a chain with SSE

Server-Sent Events keep **one HTTP response** open and write \`data:\` lines as the
model produces tokens. A reconnecting client sends \`Last-Event-ID: ${n * 7}\`, and the
server replays what it missed; see [the spec](https://html.spec.whatwg.org/#server-sent-events)
or <https://developer.mozilla.org/en-US/docs/Web/API/EventSource>. A hosted model costs
about $5 per million tokens and $10 for the larger one, so *cost* grows as $c = p \\cdot n$
for $n = ${n}$ million tokens.

Steps:

1. Start the run with \`POST /lcsse/api/runs\`.

2. Read \`GET .../events\` with \`fetch\`:

   \`\`\`js
   const response = await fetch(url, { headers: { Accept: "text/event-stream" } });

   for await (const chunk of response.body) {
     parser.feed(chunk);
   }
   \`\`\`

3. Stop with \`DELETE\`; the stream still ends with an \`end\` event.

- Transports
  1. the server transport (fetch, reconnects)
     - \`Last-Event-ID\` on every retry
     - \`retry:\` sets the wait
  2. the kernel transport (comm messages)
- Readers: \`RunState\` in Python, \`RunEvents\` in the page

| Transport | Latency | Reconnects | Notes |
|:----------|--------:|:----------:|-------|
| SSE | ${n} ms | yes | \`text/event-stream\` |
| WebSocket | ${n + 1} ms | by hand | a \\| pipe in a cell |
| polling | ${n * 100} ms | n/a | ~~simple~~ wasteful |

The time to the first token is
$$
t_{\\text{first}} = t_{\\text{queue}} + t_{\\text{prefill}} + \\frac{1}{r}
$$
and over $N$ tokens the rate is

\\[
\\bar r = \\frac{N}{\\sum_{i=1}^{N} \\Delta t_i}
\\]

> **Note** for section ${n}:
> - a proxy may buffer the stream
> - set \`X-Accel-Buffering: no\`

- [x] encode frames once per run
- [ ] measure p99 of frame ${n}

3. a list that starts at three
4. and goes on

---

`;
}

/** The answer of `sections` sections. */
export function answer(sections) {
  let text = "# How streaming works\n\n";
  for (let n = 1; n <= sections; n += 1) text += section(n);
  return `${text}That is all: $E = mc^2$, and a price of $3.50 stays text.\n`;
}

/** `text` as a model streams it: pieces of about four characters (words split). */
export function tokens(text) {
  const pieces = [];
  for (const word of text.match(/\s*\S+|\s+$/g) ?? []) {
    for (let i = 0; i < word.length; i += 4) pieces.push(word.slice(i, i + 4));
  }
  return pieces;
}
