// A graph's state as it changes: `state_delta` events carry RFC 6902 JSON Patches
// (fast-json-patch applies them), in order, from {}; the result is the run's state
// without its `messages` (they stream as events). Pure: no DOM.
//
// A patch that cannot be applied (an op on a path that is not there, a failed `test`,
// a `__proto__` path, not a list) changes nothing: the state stays the last good one,
// `failures` counts it and `lastError` says why, so the page can say the state it shows
// may be behind. Patches are applied to a copy, so a patch that fails half-way leaves
// no half of it behind. `changed` lists the JSON Pointers the last good patch touched
// (for the view to mark).

import { applyPatch } from "fast-json-patch";

import { asText, isObject } from "./values.js";

const CHANGED_LIMIT = 200; // pointers kept of one patch

export class LiveState {
  constructor() {
    this.value = null; // null until a patch applied
    this.changed = []; // pointers of the last applied patch's ops (`path`, and `from`)
    this.failures = 0;
    this.lastError = "";
    this.version = 0; // bumped by every applied patch
  }

  /** Apply a `state_delta` payload ({patch: [ops]}); false when it changed nothing. */
  apply(payload) {
    const patch = isObject(payload) ? payload.patch : undefined;
    try {
      if (!Array.isArray(patch)) throw new Error("no patch list");
      const result = applyPatch(this.value ?? {}, patch, true, false, true);
      this.value = result.newDocument;
    } catch (error) {
      this.failures += 1;
      this.lastError = error?.message ? asText(error.message).split("\n")[0] : "the patch could not be applied";
      return false;
    }
    const changed = new Set();
    for (const op of patch) {
      for (const key of ["path", "from"]) if (typeof op[key] === "string" && changed.size < CHANGED_LIMIT) changed.add(op[key]);
    }
    this.changed = [...changed];
    this.version += 1;
    return true;
  }
}
