// What every @ag-ui/client script here shares: the client loaded from the project's
// .npm-tools/ (scripts/test.sh installs it; AGUI_CLIENT_DIR names another copy), the
// client's own event checks kept (it reports them with console.warn / console.error,
// captured from the moment this module loads), and the JSON the scripts print.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PACKAGE_DIR =
  process.env.AGUI_CLIENT_DIR || join(REPO, ".npm-tools", "node_modules", "@ag-ui", "client");

export const warnings = [];
for (const level of ["warn", "error"]) {
  console[level] = (...args) => {
    warnings.push({
      level,
      text: args
        .map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : typeof a === "string" ? a : JSON.stringify(a)))
        .join(" "),
    });
  };
}

// Print {fatal, warnings} and exit: the Python side reads one JSON line either way.
export function fail(message, code = 2) {
  process.stdout.write(JSON.stringify({ fatal: message, warnings }) + "\n");
  process.exit(code);
}

// The installed @ag-ui/client: its HttpAgent, buildResumeArray and version.
export async function loadClient() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8"));
  } catch {
    fail(
      `@ag-ui/client is not installed at ${PACKAGE_DIR}: run \`bash scripts/test.sh\` ` +
        "(it installs @ag-ui/client@1.0.0 into .npm-tools/)",
    );
  }
  const entry = manifest.exports?.["."]?.import ?? manifest.module ?? manifest.main;
  const module = await import(pathToFileURL(join(PACKAGE_DIR, entry)).href);
  return { HttpAgent: module.HttpAgent, buildResumeArray: module.buildResumeArray, version: manifest.version };
}

// A copy as JSON: what the client holds now, not what it may change later.
export const copy = (value) => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

// An error the client raised, as JSON: its name, message, HTTP status and payload.
export function describeError(error) {
  if (!error) return null;
  return {
    name: error.name,
    message: String(error.message ?? error),
    status: error.status ?? null,
    payload: error.payload ?? null,
  };
}
