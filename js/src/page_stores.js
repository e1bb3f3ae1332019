// One RunStore per model on this page, found by the model's `_store_key` trait:
// anywidget hands `initialize` and each `render` different proxies of the same model,
// and every view of a model must render from the one store that saw all its batches.

import { RunStore } from "./store.js";

const stores = new Map();

export function storeFor(model) {
  const key = model.get("_store_key");
  let store = key ? stores.get(key) : undefined;
  if (!store) {
    store = new RunStore(model);
    if (key) stores.set(key, store);
  }
  return store;
}

/** anywidget's `initialize`: once per model, before any view; the cleanup drops the store. */
export function initialize({ model }) {
  const key = model.get("_store_key");
  const store = storeFor(model);
  return () => {
    store.dispose();
    if (stores.get(key) === store) stores.delete(key);
  };
}
