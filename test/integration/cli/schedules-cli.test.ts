import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";

// Runs the built CLI (`node main.js`): `npm run build` first, as for the other CLI tests.
let ws: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir: ws, cleanup } = await makeTempDir("wf-sched-cli-"));
});
afterAll(() => cleanup());

const cli = (...args: string[]) => runCli(["schedules", ...args, "--workspace", ws], { timeoutMs: 60_000 });

describe("node main.js schedules", () => {
  it("adds a schedule and prints it with its next 3 fire times; lists, pauses, resumes and deletes it", async () => {
    const added = await cli(
      "add",
      "--cron",
      "0 2 * * *",
      "--goal",
      "Create output/hi.txt with 'hi'",
      "--tz",
      "Europe/Paris",
      "--id",
      "nightly",
      "--var",
      "n=3",
    );
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    expect(added.stdout).toContain("nightly");
    expect(added.stdout).toContain("0 2 * * * (Europe/Paris)");
    expect(added.stdout).toContain('variables   {"n":3}');
    const next = /next\s+(.+)/.exec(added.stdout)?.[1]?.split(", ") ?? [];
    expect(next).toHaveLength(3);
    // 02:00 in Paris is 01:00Z in winter, 00:00Z in summer.
    for (const t of next) expect(t).toMatch(/^\d{4}-\d\d-\d\dT0[01]:00:00\.000Z$/);

    const listed = await cli("list", "--json");
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        id: "nightly",
        cron: "0 2 * * *",
        tz: "Europe/Paris",
        overlap: "skip",
        catch_up: "latest",
        paused: false,
        variables: { n: 3 },
      }),
    ]);

    expect((await cli("pause", "nightly")).stdout).toContain("Schedule nightly paused.");
    expect((await cli("list")).stdout).toMatch(/^nightly {2}0 2 \* \* \* \(Europe\/Paris\) {2}paused {2}goal/);
    expect((await cli("resume", "nightly")).stdout).toContain("Schedule nightly resumed.");
    expect(JSON.parse((await cli("show", "nightly", "--json")).stdout)).toMatchObject({ id: "nightly", paused: false, firings: [] });

    const again = await cli("add", "--cron", "0 3 * * *", "--goal", "x", "--id", "nightly");
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('A schedule "nightly" already exists');

    expect((await cli("delete", "nightly")).stdout).toContain("Schedule nightly deleted.");
    expect((await cli("list")).stdout.trim()).toBe("No schedules.");
    const gone = await cli("delete", "nightly");
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('Error [SCHEDULE_NOT_FOUND]: No schedule "nightly"');
  });

  it("adds a schedule of a plan file, checked like a run's plan", async () => {
    const file = path.join(ws, "plan.json");
    await writeFile(file, JSON.stringify({ tasks: [{ id: "w", action_type: "wait", action_config: { seconds: 1 } }] }));
    const added = await cli("add", "--cron", "*/30 * * * * *", "--plan", file, "--id", "half-minute", "--json");
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      id: "half-minute",
      plan: { tasks: [{ id: "w" }] },
      next_fire_times: [expect.any(String), expect.any(String), expect.any(String)],
    });
    await writeFile(file, JSON.stringify({ tasks: [{ id: "w", action_type: "wait", action_config: {}, dependencies: ["nope"] }] }));
    const bad = await cli("add", "--cron", "0 2 * * *", "--plan", file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("PLAN_INVALID");
    expect(bad.stderr).toContain("plan.tasks[0]");
  });

  it("refuses a bad --cron with exit 2, naming --cron, the value and what is allowed; and every other bad flag likewise", async () => {
    const bad = await cli("add", "--cron", "0 2 * *", "--goal", "x");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Error [CONFIG_INVALID]: Invalid schedule: --cron: must be a cron expression of 5 fields");
    expect(bad.stderr).toContain('(given "0 2 * *")');
    const cases: [string[], string][] = [
      [
        ["--cron", "0 2 * * *", "--goal", "x", "--tz", "Nowhere/City"],
        '--tz: must be an IANA time zone (e.g. UTC, Europe/Paris, America/New_York) (given "Nowhere/City")',
      ],
      [["--cron", "0 2 * * *", "--goal", "x", "--overlap", "queue"], '--overlap: "queue" is not one of skip, allow'],
      [["--cron", "0 2 * * *", "--goal", "x", "--catch-up", "all"], '--catch-up: "all" is not one of latest, none'],
      [["--cron", "0 2 * * *", "--goal", "x", "--id", "a:b"], "--id: a schedule id starts with a letter or digit"],
      [["--cron", "0 2 * * *"], "give exactly one of --goal"],
      [["--goal", "x"], "schedules add needs --cron"],
      [
        ["--cron", "0 2 * * *", "--workflow", "nope"],
        '--workflow: No workflow "nope" in the library; the workflows: api_orchestration, data_pipeline, job_execution',
      ],
      [["--cron", "0 2 * * *", "--goal", "x", "--every", "day"], "Unknown argument: every"],
    ];
    for (const [args, message] of cases) {
      const run = await cli("add", ...args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toContain(message);
    }
    expect((await cli("list")).stdout.trim()).not.toContain("sch-");
  });
});
