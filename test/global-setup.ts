import { execFileSync } from "node:child_process";

/** Build once before the tests: the CLI tests spawn `node main.js`, which runs the compiled code. */
export default function setup(): void {
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], { stdio: "inherit" });
}
