// The SSE parser: bytes (or text) in, complete events out, per the WHATWG "interpreting
// an event stream" rules. Pure: it knows nothing of fetch, the kernel or the run; both
// transports feed it, and tests/sse_vectors.json checks it against the Python parser.

/** Incremental parser per the WHATWG "interpreting an event stream" rules. */
export class SSEParser {
  constructor() {
    // ignoreBOM: keep it, so that the parser drops exactly one, as the standard says
    this.decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    this.buffer = "";
    this.started = false;
    this.afterCR = false;
    this.data = null; // array of data lines, null when empty
    this.eventType = "";
    this.idBuffer = "";
    this.lastEventId = "";
    this.retry = null;
  }

  /** Feed a chunk (Uint8Array or string); returns the events it completed. */
  feed(chunk) {
    const text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    return this._consume(text);
  }

  /** End of stream: an event without its blank line is dropped, per the standard. */
  close() {
    const events = this._consume(this.decoder.decode());
    this.buffer = "";
    this.data = null;
    this.eventType = "";
    return events;
  }

  _consume(text) {
    const events = [];
    if (!text) return events;
    if (this.afterCR) {
      this.afterCR = false;
      if (text[0] === "\n") text = text.slice(1);
    }
    let buffer = this.buffer + text;
    if (!this.started && buffer.length) {
      this.started = true;
      if (buffer[0] === "\ufeff") buffer = buffer.slice(1);
    }
    let pos = 0;
    const end = buffer.length;
    while (pos < end) {
      const cr = buffer.indexOf("\r", pos);
      const lf = buffer.indexOf("\n", pos);
      if (cr === -1 && lf === -1) break;
      let line;
      if (cr === -1 || (lf !== -1 && lf < cr)) {
        line = buffer.slice(pos, lf);
        pos = lf + 1;
      } else if (cr === end - 1) {
        line = buffer.slice(pos, cr);
        pos = cr + 1;
        this.afterCR = true;
      } else {
        line = buffer.slice(pos, cr);
        pos = buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
      }
      const event = this._line(line);
      if (event) events.push(event);
    }
    this.buffer = buffer.slice(pos);
    return events;
  }

  _line(line) {
    if (line === "") return this._dispatch();
    if (line[0] === ":") return null;
    const colon = line.indexOf(":");
    let name = line;
    let value = "";
    if (colon !== -1) {
      name = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value[0] === " ") value = value.slice(1);
    }
    if (name === "data") {
      if (this.data === null) this.data = [];
      this.data.push(value);
    } else if (name === "event") {
      this.eventType = value;
    } else if (name === "id") {
      if (!value.includes("\0")) this.idBuffer = value;
    } else if (name === "retry") {
      if (/^[0-9]+$/.test(value)) this.retry = parseInt(value, 10);
    }
    return null;
  }

  _dispatch() {
    this.lastEventId = this.idBuffer;
    if (this.data === null) {
      this.eventType = "";
      return null;
    }
    const event = {
      type: this.eventType || "message",
      data: this.data.join("\n"),
      id: this.lastEventId || null,
    };
    this.data = null;
    this.eventType = "";
    return event;
  }
}
