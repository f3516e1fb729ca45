#!/bin/sh
# azd postbuild hook (azure.yaml): stages what the Flex Consumption app runs into build/azure-functions,
# which azd zips as is (remoteBuild: false). The bundle dist/app is self-contained, so no node_modules ship:
# host.json, a package.json without dependencies or scripts, dist/app, and the files the app reads at run time.
set -eu
out=build/azure-functions
if [ ! -f dist/app/main.js ]; then
  echo "stage-function-package: dist/app/main.js is missing; run 'npm run build' first" >&2
  exit 1
fi
rm -rf "$out"
mkdir -p "$out/dist"
cp host.json "$out/host.json"
cp -R dist/app "$out/dist/app"
for dir in templates data policies; do
  if [ -d "$dir" ]; then cp -R "$dir" "$out/$dir"; fi
done
# A slim package.json (main = the bundle), and a check that the bundle imports nothing from node_modules
# except what the Functions worker provides: an import left external would fail only in Azure.
node -e '
const fs = require("node:fs");
const path = require("node:path");
const { builtinModules } = require("node:module");
const out = process.argv[1];
const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
const slim = { name: pkg.name, version: pkg.version, private: true, type: pkg.type, main: pkg.main };
fs.writeFileSync(path.join(out, "package.json"), JSON.stringify(slim, null, 2) + "\n");
const provided = new Set(["@azure/functions-core", ...builtinModules]);
// Static imports start a line in esbuild output (JSDoc examples start with "*"); dynamic ones and the
// require shim (__require) take a bare package name.
const bare = new RegExp([
  "^\\s*(?:import|export)\\s[^;]*?\\bfrom\\s*[\"\x27]([^\"\x27]+)[\"\x27]",
  "^\\s*import\\s*[\"\x27]([^\"\x27]+)[\"\x27]",
  "\\b(?:import|__require|require)\\(\\s*[\"\x27](@?[a-z0-9][\\w.-]*(?:/[\\w.-]+)*)[\"\x27]\\s*\\)",
].join("|"), "gm");
const missing = new Set();
const walk = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file);
    else if (/\.(m?js|cjs)$/.test(entry.name)) {
      for (const match of fs.readFileSync(file, "utf8").matchAll(bare)) {
        const spec = match[1] ?? match[2] ?? match[3];
        if (spec.startsWith(".")) continue;
        const name = spec.replace(/^node:/, "").split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/");
        if (!provided.has(name) && !provided.has(spec.replace(/^node:/, ""))) missing.add(spec);
      }
    }
  }
};
walk(path.join(out, "dist", "app"));
if (missing.size > 0) {
  console.error("stage-function-package: dist/app imports packages that are not deployed: " + [...missing].join(", "));
  process.exit(1);
}
console.log("stage-function-package: " + out + " ready (main " + slim.main + ")");
' "$out"
