#!/usr/bin/env node
// Entry point for `node main.js`: the CLI is written in main.ts, compiled to dist/ and bundled into dist/cli/
// (scripts/bundle-cli.mjs) by `npm install` (prepare).
import { existsSync } from "node:fs";
import module from "node:module";
import { fileURLToPath } from "node:url";

// Node 22.1+ can keep the compiled code of the CLI between runs; Node 20 has no such cache (the bundle helps there).
module.enableCompileCache?.();

// A .env in the current folder configures the engine like exported variables; what the environment already
// sets wins over the file. Loaded before anything reads the environment.
if (existsSync(".env")) {
  try {
    process.loadEnvFile(".env");
  } catch (error) {
    process.stderr.write(`Error [CONFIG_INVALID]: cannot read .env: ${error.message}\n`);
    process.exit(2);
  }
}

const compiled = new URL("./dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write("The engine is not built yet: run `npm install` (or `npm run build`) in this folder first.\n");
  process.exit(2);
}
await import(compiled.href);
