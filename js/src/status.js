// The status words a run ends with, as the `status` trait and the store spell them
// ("idle", "starting" and "streaming" are the others).

export const TERMINAL = ["complete", "error", "cancelled"];
