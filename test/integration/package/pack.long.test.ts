import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";

// The package as a user gets it: `npm pack`, installed from the tarball into a new project (dependencies from
// the registry, or npm's cache), then its bin and its API used from there, not from this checkout.
let project: string;
let cleanup: () => Promise<void>;
const npm = (args: string[], cwd: string) =>
  execFileSync("npm", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" },
  });

beforeAll(async () => {
  ({ dir: project, cleanup } = await makeTempDir("wf-pack-"));
  const packs = path.join(project, "packs");
  mkdirSync(packs);
  const [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", packs], REPO)) as {
    filename: string;
    files: { path: string }[];
  }[];
  const tarball = path.join(packs, path.basename(packed?.filename ?? ""));
  writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "pack-consumer", version: "1.0.0", private: true, type: "module", allowScripts: { "better-sqlite3": true } }),
  );
  npm(["install", "--prefer-offline", tarball], project);
}, 600_000);

afterAll(() => cleanup());

describe("the published package", () => {
  it("ships the compiled code, the README and the licence, and no tests or benchmarks", () => {
    const root = path.join(project, "node_modules", "agentic-workflow-engine");
    const top = readdirSync(root);
    expect(top).toEqual(expect.arrayContaining(["main.js", "dist", "README.md", "LICENSE", "package.json"]));
    expect(top).not.toContain("test");
    expect(readdirSync(path.join(root, "dist"))).not.toContain("test");
    expect(readdirSync(path.join(root, "dist"))).not.toContain("bench");
  });

  it("runs a goal through `npx workflow-engine`", () => {
    const out = execFileSync("npx", ["--no-install", "workflow-engine", "--goal", "Create output/hello.txt with 'Hello'", "--quiet"], {
      cwd: project,
      encoding: "utf8",
    });
    expect(out).toContain(": completed");
    expect(readFileSync(path.join(project, "output", "hello.txt"), "utf8")).toBe("Hello");
  });

  it("imports the engine and runs a plan with `import`, and loads with `require`", () => {
    const script = `
      import { WorkflowEngine } from "agentic-workflow-engine";
      import { createRequire } from "node:module";
      const engine = new WorkflowEngine({ persist: "memory" });
      const result = await engine.run({ tasks: [{ id: "w", action_type: "wait", action_config: { ms: 1 } }] });
      await engine.close();
      const required = createRequire(import.meta.url)("agentic-workflow-engine");
      console.log(JSON.stringify({ status: result.status, required: typeof required.WorkflowEngine }));
    `;
    writeFileSync(path.join(project, "use.mjs"), script);
    const out = execFileSync(process.execPath, ["use.mjs"], { cwd: project, encoding: "utf8" });
    expect(JSON.parse(out.trim().split("\n").pop() ?? "{}")).toEqual({ status: "completed", required: "function" });
  });
});
