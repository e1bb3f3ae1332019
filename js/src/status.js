// The status words a run ends with, as the `status` trait and the store spell them
// ("idle", "starting" and "streaming" are the others). "interrupted" is an end too: the
// run stopped for a human's answer (the interrupt cards), which resumes the thread in a
// new run; it is neither an error nor a cancellation.

export const TERMINAL = ["complete", "error", "cancelled", "interrupted"];

/** The status a run's `end` reason gives (an unknown or missing reason: "cancelled"). */
export function endStatus(reason) {
  return ["complete", "error", "interrupted"].includes(reason) ? reason : "cancelled";
}
