import { link, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PlanInput } from "../../src/model/plan-schema.js";
import { runCli } from "../fixtures/cli.js";
import { jsonOf, taskOf } from "../fixtures/cli-json.js";
import { makeTempDir } from "../fixtures/context.js";

/**
 * The attack: a hard link inside the workspace to a file outside it is the same file under a name the path
 * jail accepts, so reading it leaked the outside file and appending changed it. Read, append and write-over
 * must all be refused with the jail's code, once each, the outside file untouched, and the rest of the run
 * must go on.
 */
describe("a hard link in the workspace to a file outside it", () => {
  const SECRET = "outside secret: do not read or change\n";
  let root: string;
  let ws: string;
  let outsideFile: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir: root, cleanup } = await makeTempDir("wf-chaos-link-"));
    ws = path.join(root, "ws");
    await mkdir(ws);
    outsideFile = path.join(root, "outside.txt");
    await writeFile(outsideFile, SECRET);
    await link(outsideFile, path.join(ws, "linked.txt"));
  });
  afterEach(async () => {
    await cleanup();
  });

  it("refuses read, append and write with FILE_OUTSIDE_WORKSPACE, and leaves the outside file unchanged", async () => {
    const plan: PlanInput = {
      tasks: [
        { id: "read", action_type: "file_operation", action_config: { operation: "read", path: "linked.txt" }, on_failure: "skip" },
        {
          id: "append",
          action_type: "file_operation",
          action_config: { operation: "append", path: "linked.txt", content: "appended\n" },
          on_failure: "skip",
        },
        {
          id: "write",
          action_type: "file_operation",
          action_config: { operation: "write", path: "linked.txt", content: "overwritten\n" },
          on_failure: "skip",
        },
        { id: "honest", action_type: "file_operation", action_config: { operation: "write", path: "out/ok.txt", content: "ok" } },
      ],
    };
    const file = path.join(root, "plan.json");
    await writeFile(file, JSON.stringify(plan));
    const run = await runCli(["--plan", file, "--workspace", ws, "--no-persist", "--json", "--approve", "auto"]);
    const output = jsonOf(run);
    expect(run.code).toBe(1);
    expect(output.status).toBe("completed_with_errors");

    for (const id of ["read", "append", "write"]) {
      const task = taskOf(output, id);
      expect(task, id).toMatchObject({ status: "skipped", attempts: 1, error: { code: "FILE_OUTSIDE_WORKSPACE", retryable: false } });
      expect(task.error?.message, id).toContain(`${id} "linked.txt": the file has 2 hard links`);
      expect(task.error?.message, id).toContain("Copy the file into the workspace instead of linking it");
    }
    expect(run.stdout).not.toContain("outside secret");
    expect(await readFile(outsideFile, "utf8")).toBe(SECRET);
    // The link is still a link: nothing was written through it or over it.
    expect((await stat(outsideFile)).nlink).toBe(2);
    expect(await readFile(path.join(ws, "linked.txt"), "utf8")).toBe(SECRET);

    expect(taskOf(output, "honest")).toMatchObject({ status: "completed", attempts: 1 });
    expect(await readFile(path.join(ws, "out/ok.txt"), "utf8")).toBe("ok");
  });
});
