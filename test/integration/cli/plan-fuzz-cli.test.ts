import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type Defect, defects } from "../../fixtures/plan-arbitraries.js";

// Malformed plan files through the real CLI: exit code 2, one `Error [PLAN_...]` line saying why,
// nothing on stdout, and nothing written (no workspace files, no .workflow-state, nothing in the
// working folder). Each case spawns `node main.js`; vitest runs them a few at a time (maxConcurrency).
const SEED = 4_242;
const SAMPLES = 36;

interface Case {
  name: string;
  /** The plan file's text, and its extension (".json" or ".yaml"). */
  text: string;
  ext: string;
  code: Defect["code"];
  mentions: string[];
}

const sampled: Case[] = fc
  .sample(fc.oneof(...Object.values(defects)), { seed: SEED, numRuns: SAMPLES })
  .map((d, i) => ({ name: `${i} ${d.kind}`, text: JSON.stringify(d.plan), ext: ".json", code: d.code, mentions: d.mentions }));

/** Files that are not plans at all, or reach the CLI through YAML. */
const fixed: Case[] = [
  { name: "empty file", text: "", ext: ".json", code: "PLAN_INVALID", mentions: ["is not valid JSON"] },
  { name: "truncated JSON", text: '{"tasks": [', ext: ".json", code: "PLAN_INVALID", mentions: ["is not valid JSON"] },
  { name: "null", text: "null", ext: ".json", code: "PLAN_INVALID", mentions: ["The plan is invalid"] },
  {
    name: "100 000 nested arrays",
    text: `{"tasks":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
    ext: ".json",
    code: "PLAN_INVALID",
    mentions: ["nested more than 64 levels deep"],
  },
  {
    name: "YAML with a __proto__ key",
    text: "__proto__:\n  polluted: true\ntasks:\n  - id: a\n    action_type: wait\n    action_config: { ms: 0 }\n",
    ext: ".yaml",
    code: "PLAN_INVALID",
    mentions: ['__proto__: "__proto__" cannot be used as a key'],
  },
  {
    name: "YAML with a task named constructor",
    text: "tasks:\n  - id: constructor\n    action_type: wait\n    action_config: { ms: 0 }\n",
    ext: ".yaml",
    code: "PLAN_INVALID",
    mentions: ["tasks[0].id", "cannot be a task id"],
  },
];

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir("wf-plan-fuzz-"));
});
afterAll(async () => {
  await cleanup();
});

describe.concurrent("the CLI on malformed plan files", () => {
  it.each([...sampled, ...fixed])("$name: exit 2, a PLAN error on stderr, nothing written", async (c) => {
    const dir = path.join(root, c.name.replace(/\W+/g, "-"));
    const [plans, workspace, cwd] = ["plans", "ws", "cwd"].map((d) => path.join(dir, d)) as [string, string, string];
    await Promise.all([mkdir(plans, { recursive: true }), mkdir(workspace, { recursive: true }), mkdir(cwd, { recursive: true })]);
    const file = path.join(plans, `plan${c.ext}`);
    await writeFile(file, c.text);

    const run = await runCli(["--plan", file, "--workspace", workspace], { cwd });

    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(new RegExp(`^Error \\[${c.code}\\]: `, "m"));
    for (const text of c.mentions) expect(run.stderr).toContain(text.slice(0, 200));
    expect(run.stderr.length, "the error must stay readable").toBeLessThan(20_000);
    expect(run.code).toBe(2);
    expect(await readdir(workspace)).toEqual([]);
    expect(await readdir(cwd)).toEqual([]);
    expect(await readdir(plans)).toEqual([`plan${c.ext}`]);
  });
});
