// Bundle the widget's page code (js/src/) into the static file the package ships,
// jupyter_lcsse/static/widget.js, with esbuild: one ES module that anywidget loads as
// it is (`export default { initialize, render }`), markdown-it, temml and fast-json-patch
// (the live state's RFC 6902 patches) inside.
//
//   node js/build.mjs           write the bundle (commit it: installs need no Node)
//   node js/build.mjs --check   exit 1 when the committed bundle is not what the
//                               sources build to (tests/js/bundle_fresh.test.mjs)
//
// Needs `npm ci --prefix js` once. The output is deterministic: the same sources and
// lock give the same bytes (no timestamps, no absolute paths), so --check can compare.
// It is minified: anywidget sends the whole module to the page with every widget (the
// `_esm` trait), and minifying halves that (about 390 kB instead of 700 kB, temml being
// most of it). The readable code is js/src/. The licenses of the bundled packages are
// appended as one comment, read from their own files.

import { readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const JS = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(JS);
const OUTFILE = join(ROOT, "jupyter_lcsse", "static", "widget.js");
const SHOWN = relative(ROOT, OUTFILE);

const BANNER = `// GENERATED FILE, do not edit: the bundle of js/src/ (the widget's page code), made by
// esbuild ${esbuild.version} with \`node js/build.mjs\` (after \`npm ci --prefix js\`).
// Edit the modules in js/src/ and rebuild; tests/js/bundle_fresh.test.mjs fails when
// this file is stale. The bundled packages' licenses are at the end.`;

const OPTIONS = {
  entryPoints: [join(JS, "src", "index.js")],
  absWorkingDir: ROOT, // paths in comments are relative to the repository: same bytes anywhere
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  charset: "utf8",
  minify: true,
  legalComments: "eof",
  metafile: true,
  banner: { js: BANNER },
  outfile: OUTFILE,
  write: false,
  logLevel: "warning",
};

/** The bundled packages (from esbuild's metafile), sorted: [directory, ...]. */
function packagesOf(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) dirs.add(match[1]);
  }
  return [...dirs].sort();
}

/** One comment with each bundled package's name, version and license text. */
async function licenses(metafile) {
  const parts = [];
  for (const dir of packagesOf(metafile)) {
    const pkg = JSON.parse(await readFile(join(ROOT, dir, "package.json"), "utf8"));
    const file = (await readdir(join(ROOT, dir))).sort().find((name) => /^(licen[cs]e|copying)/i.test(name));
    const text = file ? (await readFile(join(ROOT, dir, file), "utf8")).trim() : `license: ${pkg.license}`;
    parts.push(`${pkg.name} ${pkg.version} (${pkg.license})\n\n${text}`);
  }
  const body = parts.join("\n\n----------------------------------------------------------------\n\n");
  return `/*! Bundled third-party packages and their licenses:\n\n${body.replaceAll("*/", "* /")}\n*/\n`;
}

async function build() {
  const result = await esbuild.build(OPTIONS);
  return result.outputFiles[0].text + (await licenses(result.metafile));
}

const check = process.argv.includes("--check");
const bundle = await build();
if (check) {
  const current = await readFile(OUTFILE, "utf8").catch(() => "");
  if (current !== bundle) {
    console.error(`${SHOWN} is stale: run \`node js/build.mjs\``);
    process.exit(1);
  }
  console.log(`${SHOWN} is fresh`);
} else {
  await writeFile(OUTFILE, bundle);
  console.log(`wrote ${SHOWN} (${bundle.length} characters)`);
}
