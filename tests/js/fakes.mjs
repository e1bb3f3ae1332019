// Just enough of a browser for the widget's modules in node: a DOM that builds nodes
// (no HTML parsing at all, like the widget), document.cookie, and an anywidget model.

export const HTML_NS = "http://www.w3.org/1999/xhtml";
export const MATHML_NS = "http://www.w3.org/1998/Math/MathML";

class Node {
  // Elements made by createElement are HTML (upper-case tagName, as in a browser);
  // createElementNS keeps the name as given (MathML's are lower case there too).
  constructor(tagName, text, namespaceURI = HTML_NS) {
    this.namespaceURI = tagName ? namespaceURI : null;
    this.tagName = tagName ? (namespaceURI === HTML_NS ? tagName.toUpperCase() : tagName) : null;
    this.children = [];
    this.attributes = {};
    this.style = {};
    this.dataset = {};
    this.listeners = {};
    this.classes = new Set();
    this.classList = { toggle: (name, on) => (on ? this.classes.add(name) : this.classes.delete(name)) };
    this._text = text ?? "";
  }

  addEventListener(name, callback) {
    this.listeners[name] = callback;
  }

  click() {
    this.listeners.click?.();
  }

  // A node has one parent, as in a browser: appending it elsewhere moves it. A
  // fragment's children are moved in, the fragment itself is not.
  append(...nodes) {
    for (const node of nodes) {
      if (node.tagName === "#document-fragment") {
        this.append(...node.children);
        node.children = [];
        continue;
      }
      node.parentNode?.removeChild(node);
      node.parentNode = this;
      this.children.push(node);
    }
  }

  appendChild(node) {
    this.append(node);
    return node;
  }

  removeChild(node) {
    const index = this.children.indexOf(node);
    if (index === -1) throw new Error("removeChild: not a child of this node");
    this.children.splice(index, 1);
    node.parentNode = null;
    return node;
  }

  replaceChildren(...nodes) {
    for (const child of this.children) child.parentNode = null;
    this.children = [];
    this.append(...nodes);
  }

  get lastElementChild() {
    const elements = this.children.filter((c) => c.tagName);
    return elements[elements.length - 1] ?? null;
  }

  setAttribute(name, value) {
    this.attributes[name] = String(value);
  }

  getAttribute(name) {
    return this.attributes[name] ?? null;
  }

  get textContent() {
    return this.tagName ? this.children.map((c) => c.textContent).join("") : this._text;
  }

  set textContent(value) {
    if (this.tagName) this.replaceChildren(...(String(value) ? [new Node(null, String(value))] : []));
    else this._text = String(value);
  }

  // The widget must never parse HTML: these throw, so a test fails if it tries.
  set innerHTML(_) {
    throw new Error("innerHTML used");
  }

  set outerHTML(_) {
    throw new Error("outerHTML used");
  }

  insertAdjacentHTML() {
    throw new Error("insertAdjacentHTML used");
  }

  /** Fire the listener of an event (e.g. "toggle"). */
  dispatch(name) {
    this.listeners[name]?.();
  }

  /** Every node below this one (elements and text), in document order. */
  descendants() {
    const found = [];
    for (const child of this.children) {
      found.push(child);
      if (child.tagName) found.push(...child.descendants());
    }
    return found;
  }

  /** Elements below this one with the class name, in document order. */
  byClass(name) {
    return this.descendants().filter((n) => n.tagName && String(n.className ?? "").split(" ").includes(name));
  }

  /** Elements below this one with the tag name (any case), in document order. */
  all(tag) {
    const found = [];
    for (const child of this.children) {
      if (child.tagName && child.tagName.toLowerCase() === tag.toLowerCase()) found.push(child);
      if (child.tagName) found.push(...child.all(tag));
    }
    return found;
  }

  /** The subtree as plain data (tags, namespaces, attributes, classes, styles, text), to compare two. */
  outline() {
    if (!this.tagName) return this._text;
    const style = Object.fromEntries(Object.entries(this.style).filter(([, v]) => v !== undefined && v !== ""));
    return {
      tag: this.tagName,
      ns: this.namespaceURI,
      attributes: { ...this.attributes },
      className: this.className ?? "",
      style,
      children: this.children.map((c) => c.outline()),
    };
  }
}

export function installDocument(cookie = "") {
  globalThis.document = {
    cookie,
    body: null,
    compatMode: "CSS1Compat", // standards mode, as JupyterLab's page (temml checks)
    createElement: (tag) => new Node(tag),
    createElementNS: (namespaceURI, tag) => new Node(tag, undefined, namespaceURI),
    createTextNode: (text) => new Node(null, text),
    createDocumentFragment: () => new Node("#document-fragment", undefined, null),
    getElementById: () => null,
  };
  return globalThis.document;
}

/** A Backbone-like model as anywidget hands it to initialize/render. */
export class FakeModel {
  constructor(state) {
    this.state = { ...state };
    this.handlers = new Map();
    this.sent = []; // custom messages to the kernel
    this.saved = []; // save_changes() calls, with what was set since the last one
    this.pendingSave = {};
  }

  get(name) {
    return this.state[name];
  }

  set(values) {
    Object.assign(this.state, values);
    Object.assign(this.pendingSave, values);
    this.emit("change");
  }

  save_changes() {
    this.saved.push(this.pendingSave);
    this.pendingSave = {};
  }

  send(content) {
    this.sent.push(content);
  }

  on(name, callback) {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name).add(callback);
  }

  off(name, callback) {
    this.handlers.get(name)?.delete(callback);
  }

  emit(name, ...args) {
    for (const callback of [...(this.handlers.get(name) ?? [])]) callback(...args);
  }

  /** What the kernel does: change traits (an update message) or send a custom message. */
  kernelSets(values) {
    Object.assign(this.state, values);
    this.emit("change");
  }

  kernelSends(content) {
    this.emit("msg:custom", content);
  }
}

export function kernelModel(extra = {}) {
  return new FakeModel({
    transport: "kernel",
    chain_name: "ticks",
    input: "go",
    input_key: ".",
    markdown: false,
    autostart: true,
    status: "idle",
    error: "",
    text: "",
    run_id: "",
    events_url: "",
    chunks: 0,
    ttft_ms: null,
    elapsed_ms: null,
    reconnects: 0,
    _store_key: "k1",
    ...extra,
  });
}

export function serverModel(extra = {}) {
  return kernelModel({
    transport: "server",
    chain_name: "default",
    input: { question: "What is SSE?" },
    input_key: "question",
    ...extra,
  });
}

/** SSE frames for events first..last of a run, each a token `t<id> `. */
export function frames(first, last) {
  let text = "";
  for (let id = first; id <= last; id += 1) text += `id: ${id}\ndata: t${id} \n\n`;
  return text;
}

export function tokens(first, last) {
  let text = "";
  for (let id = first; id <= last; id += 1) text += `t${id} `;
  return text;
}

/**
 * A fetch that answers like the lcsse API: POST runs -> 201, GET events -> `events`
 * (a list of bodies, one per connection; a number is a status), DELETE -> 200.
 * Every request is recorded with its method, URL, headers and body.
 */
export function fakeFetch({ events = [frames(1, 3) + 'id: 4\nevent: end\ndata: {"reason":"complete","chunks":3,"ttft_ms":5,"elapsed_ms":9}\n\n'] } = {}) {
  const requests = [];
  let runs = 0;
  const connections = [...events];
  const fetch = async (url, init = {}) => {
    const method = init.method ?? "GET";
    requests.push({ method, url, headers: { ...(init.headers ?? {}) }, body: init.body });
    if (method === "POST") {
      runs += 1;
      const id = `run${runs}`;
      const body = { id, events_url: `/base/lcsse/api/runs/${id}/events`, status: "running" };
      return new Response(JSON.stringify(body), { status: 201 });
    }
    if (method === "DELETE") return new Response("{}", { status: 200 });
    const next = connections.length ? connections.shift() : 204;
    if (typeof next === "number") return new Response(null, { status: next });
    return new Response(next, { status: 200, headers: { "Content-Type": "text/event-stream" } });
  };
  return { fetch, requests };
}

/** Let pending promises and zero-delay timers run. */
export function settle(ms = 20) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// The widget's views for one test file: `view(model)` initializes the model's store
// and renders a view, `renderView(model)` renders one more; every view and store is torn
// down when the file's tests end (`after`), since their timers would keep node alive.
// `cleanups` takes anything else a test must tear down.
export function viewMaker(widget, after) {
  const cleanups = [];
  after(() => {
    for (const cleanup of cleanups) cleanup();
  });
  function renderView(model) {
    const el = document.createElement("div");
    cleanups.push(widget.render({ model, el }));
    return el.children[0];
  }
  function view(model) {
    cleanups.push(widget.initialize({ model }));
    return renderView(model);
  }
  return { view, renderView, cleanups };
}
