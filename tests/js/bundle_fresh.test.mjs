// The committed bundle (jupyter_lcsse/static/widget.js) is what js/src/ builds to: the
// package ships that file, so a change to a module that was not rebuilt would ship
// the old code. Not skipped when the build tools are missing: it fails and says how to
// get them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const JS = new URL("../../js/", import.meta.url);
const SETUP = "run `npm ci --prefix js` (js/package-lock.json pins esbuild, markdown-it and temml)";

test("bundle when the build tools are installed then they are the versions js/package.json pins", () => {
  assert.ok(existsSync(new URL("node_modules/", JS)), `js/node_modules is missing: ${SETUP}`);
  const pkg = JSON.parse(readFileSync(new URL("package.json", JS), "utf8"));
  for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
    const installed = new URL(`node_modules/${name}/package.json`, JS);
    assert.ok(existsSync(installed), `${name} is not installed: ${SETUP}`);
    assert.equal(JSON.parse(readFileSync(installed, "utf8")).version, version, `${name}: ${SETUP}`);
  }
});

test("bundle when rebuilt from js/src then identical to the committed widget.js", () => {
  assert.ok(existsSync(new URL("node_modules/esbuild/", JS)), `js/node_modules is missing: ${SETUP}`);
  const check = spawnSync(process.execPath, ["js/build.mjs", "--check"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(check.status, 0, `${check.stderr}${check.stdout}`.trim());
  assert.match(check.stdout, /widget\.js is fresh/);
});
