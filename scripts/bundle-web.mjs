// Bundles the dashboard (web/dashboard: browser TypeScript, no framework) into dist/web/: index.html and
// assets/ whose names carry a hash of their content, so the server can let browsers cache them for good
// (src/server/routes/dashboard.ts) while index.html, never cached, names the current ones.
// `npm run build` runs it; esbuild reads the TypeScript itself (tsc only checks it: web/tsconfig.json).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const source = path.join(root, "web/dashboard");
const outdir = path.join(root, "dist/web");
const assets = path.join(outdir, "assets");

rmSync(outdir, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });
const result = await build({
  entryPoints: [path.join(source, "main.ts"), path.join(source, "style.css")],
  outdir: assets,
  entryNames: "[name]-[hash]",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["chrome109", "firefox115", "safari16"],
  minify: true,
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

// index.html names /assets/main.js and /assets/style.css; they become the hashed files just written.
const hashed = new Map();
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (!output.entryPoint) continue;
  const name = path.basename(output.entryPoint).replace(/\.ts$/, ".js");
  hashed.set(`/assets/${name}`, `/assets/${path.basename(file)}`);
}
let html = readFileSync(path.join(source, "index.html"), "utf8");
for (const [plain, withHash] of hashed) {
  if (!html.includes(plain)) throw new Error(`web/dashboard/index.html does not name ${plain}`);
  html = html.replaceAll(plain, withHash);
}
writeFileSync(path.join(outdir, "index.html"), html);
