#!/usr/bin/env node
// Entry point for `node main.js`: the CLI is written in main.ts and compiled to dist/ by `npm install` (prepare).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("./dist/main.js", import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write("The engine is not built yet: run `npm install` (or `npm run build`) in this folder first.\n");
  process.exit(2);
}
await import(compiled.href);
