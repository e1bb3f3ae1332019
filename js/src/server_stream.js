// ServerStream: one run on the server, followed as EventSource follows a stream (wait
// `retry` ms, reconnect with Last-Event-ID, stop on 204 or the `end` event), but with
// fetch, so the raw bytes reach the wire panel and go through our own parser, the same
// one the kernel transport uses. Every request carries `X-XSRFToken` (xsrf.js).

import { SSEParser } from "./sse_parser.js";
import { xsrfToken } from "./xsrf.js";

/** An HTTP error answer as an Error: "HTTP 422: <the server's message>", with `status`. */
async function apiError(response) {
  let message;
  try {
    const body = await response.json();
    message = `HTTP ${response.status}: ${body.message || response.statusText}`;
  } catch (_) {
    message = `HTTP ${response.status}: ${response.statusText}`;
  }
  return Object.assign(new Error(message), { status: response.status });
}

function nonEmptyObject(value) {
  return value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0;
}

/** A run on the server, followed like EventSource does, with the raw bytes exposed. */
export class ServerStream {
  constructor(base, { onFrames, onEvents, onReconnect, onFailure }) {
    this.base = base;
    this.abort = new AbortController();
    this.onFrames = onFrames;
    this.onEvents = onEvents;
    this.onReconnect = onReconnect;
    this.onFailure = onFailure;
    this.runId = null;
    this.eventsUrl = null;
    this.lastEventId = "";
    this.retry = 2000;
    this.ended = false;
  }

  /** Every request: same-origin cookies and Jupyter's XSRF header (GETs included). */
  request(url, { headers = {}, ...init } = {}) {
    return fetch(url, {
      credentials: "same-origin",
      ...init,
      headers: { "X-XSRFToken": xsrfToken(), ...headers },
    });
  }

  /** POST the run: {chain, input}, `config` when it is a non-empty object, `mode` when set. */
  start(chain, input, config = null, mode = "") {
    const body = { chain, input };
    if (nonEmptyObject(config)) body.config = config;
    if (mode) body.mode = mode;
    return this.post(body);
  }

  /** POST the resumed run: {chain, command: {resume: VALUE}, config} (`mode` when set). */
  resume(chain, value, config = {}, mode = "") {
    const body = { chain, command: { resume: value }, config };
    if (mode) body.mode = mode;
    return this.post(body);
  }

  async post(body) {
    const response = await this.request(`${this.base}lcsse/api/runs`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: this.abort.signal,
    });
    if (response.status !== 201) throw await apiError(response);
    const run = await response.json();
    this.runId = run.id;
    this.eventsUrl = run.events_url;
    return run;
  }

  get active() {
    return !this.ended && !this.abort.signal.aborted;
  }

  async follow() {
    let failures = 0;
    while (this.active) {
      let progressed = false;
      try {
        progressed = await this._connect();
      } catch (error) {
        if (this.abort.signal.aborted) return;
        if (error.fatal) {
          this.ended = true;
          this.onFailure(error.message);
          return;
        }
      }
      if (!this.active) return;
      failures = progressed ? 0 : failures + 1;
      if (failures > 5) {
        this.ended = true;
        this.onFailure("the connection keeps dropping; gave up after 5 reconnects");
        return;
      }
      this.onReconnect();
      await new Promise((resolve) => setTimeout(resolve, this.retry));
    }
  }

  async _connect() {
    const headers = { Accept: "text/event-stream" };
    if (this.lastEventId) headers["Last-Event-ID"] = this.lastEventId;
    const response = await this.request(this.eventsUrl, {
      headers,
      cache: "no-store",
      signal: this.abort.signal,
    });
    if (response.status === 204) {
      this.ended = true;
      return true;
    }
    if (response.status !== 200) {
      const error = await apiError(response);
      error.fatal = true;
      throw error;
    }
    const parser = new SSEParser();
    const reader = response.body.getReader();
    const decoder = new TextDecoder("utf-8");
    let progressed = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (this.abort.signal.aborted) return progressed;
      this.onFrames(decoder.decode(value, { stream: true }));
      const events = parser.feed(value);
      if (parser.retry !== null) this.retry = parser.retry;
      if (events.length) {
        progressed = true;
        for (const e of events) if (e.id !== null) this.lastEventId = e.id;
        const ended = events.some((e) => e.type === "end");
        if (ended) this.ended = true;
        this.onEvents(events);
        if (ended) {
          reader.cancel().catch(() => {});
          break;
        }
      }
    }
    return progressed;
  }

  /** Stop the run; returns false when it had not started yet (nothing will end it). */
  async cancel() {
    if (!this.runId) {
      this.abort.abort();
      return false;
    }
    await this.request(`${this.base}lcsse/api/runs/${this.runId}`, { method: "DELETE" });
    return true;
  }

  close() {
    this.abort.abort();
  }
}
