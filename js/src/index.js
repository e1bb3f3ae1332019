// The StreamWidget's page code, as anywidget loads it: `initialize` makes one store per
// model (page_stores.js), `render` one view (view.js). Everything a run shows flows
//
//   kernel comm batches ─┐
//                        ├─► SSEParser ─► RunEvents ─► RunStore ─► view (cards, markdown)
//   server event stream ─┘   (sse_parser)  (run_events)  (store + transports/)
//
// The named exports are what tests/js/ checks; the page only uses the default one.
// Nothing from an event is ever parsed as HTML: elements are made with createElement,
// text set with textContent, attributes with setAttribute.

import { initialize } from "./page_stores.js";
import { render } from "./view.js";

export { baseUrl } from "./base_url.js";
export { formFields, readInterrupts, resumeValue } from "./interrupts.js";
export { MarkdownView, renderMarkdown } from "./markdown/view.js";
export { safeUrl } from "./markdown/safe_url.js";
export { RunEvents } from "./run_events.js";
export { ServerStream } from "./server_stream.js";
export { SSEParser } from "./sse_parser.js";
export { statusLine } from "./status_line.js";
export { RunStore } from "./store.js";
export { framesAfter } from "./transports/kernel.js";
export { xsrfToken } from "./xsrf.js";

export default { initialize, render };
