// The one place that chooses a transport: the `transport` trait, set by the kernel from
// the chain (a server chain's name: "server"; a Runnable in the kernel: "kernel") and
// fixed for the widget's life. Both objects have the same small interface, so nothing
// else in the page asks which transport it has:
//   reset()              a new run begins (per-run state of the transport)
//   attach()             the store was made (a run may be going already)
//   modelChanged(status) the kernel changed traits
//   custom(msg)          a custom message from the kernel
//   ended()              the run's `end` event was applied
//   viewRendered()       a view appeared
//   ask(input), stop()   the view's buttons
//   resume(value)        the interrupt cards' answer (VALUE of the resume command)
//   dispose()            the store goes

import { KernelTransport } from "./kernel.js";
import { ServerTransport } from "./server.js";

export function makeTransport(store) {
  return store.model.get("transport") === "kernel" ? new KernelTransport(store) : new ServerTransport(store);
}
