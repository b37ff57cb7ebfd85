// Bundles the compiled CLI (dist/main.js) into dist/cli/: a small entry and chunks split at every dynamic
// import, so `--help` reads ~130 KB and a run only the chunks it imports. Start-up was spent resolving, reading
// and compiling ~900 module files one by one (Node 20 has no compile cache for ES modules); a few large files
// load in less than half the time. `npm run build` runs it after tsc; main.js loads dist/cli/main.js.
// The library (package exports, dist/src) stays unbundled.
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outdir = path.join(root, "dist/cli");

// Native addons and WebAssembly packages find their files next to their own code: they stay in node_modules.
// The OpenTelemetry SDK and exporter load only when tracing is asked for (src/telemetry/tracing-sdk.ts): left out
// of the bundle, they cost nothing otherwise, and a test can see that they are not loaded.
const external = [
  "better-sqlite3",
  "libpg-query",
  "@electric-sql/pglite",
  "pg-native",
  "@opentelemetry/sdk-trace",
  "@opentelemetry/exporter-trace-otlp-http",
  "@opentelemetry/resources",
];

/**
 * zod exposes every translation of its messages as `z.locales` (~300 KB of source to compile), yet registers
 * English itself and nothing here picks another language: in the bundle `z.locales` holds only `en`.
 */
const englishOnlyZod = {
  name: "english-only-zod",
  setup(b) {
    const zodDir = `${path.sep}node_modules${path.sep}zod${path.sep}`;
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(zodDir) ? { path: path.resolve(args.resolveDir, args.path), namespace: "zod-locales" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: path.dirname(args.path),
      loader: "js",
    }));
  },
};

/** Every import of string-width gets scripts/lazy-string-width.js, which loads the real one at its first call. */
const lazyStringWidth = {
  name: "lazy-string-width",
  setup(b) {
    const shim = path.join(root, "scripts/lazy-string-width.js");
    b.onResolve({ filter: /^string-width$/ }, (args) => (args.importer === shim ? undefined : { path: shim }));
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, "dist/main.js")],
  outdir,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Minified source compiles faster (~4% of a one-task run, measured); names stay, for stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  external,
  plugins: [englishOnlyZod, lazyStringWidth],
  // Bundled CommonJS packages call require() for Node's built-ins; an ES module has none of its own.
  banner: { js: "import { createRequire as __wfeRequire } from 'node:module'; const require = __wfeRequire(import.meta.url);" },
  logLevel: "warning",
});
