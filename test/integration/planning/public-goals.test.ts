import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiFixture, startApiFixture } from "../../fixtures/api-server.js";
import { REPO, runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";

interface GoalLine {
  goal: string;
  actions: string[];
  file?: string;
  check?: string;
  parallel?: boolean;
}

interface JsonTask {
  id: string;
  action_type: string;
  action_config: Record<string, unknown>;
  dependencies: string[];
  status: string;
}

// The shared corpus beside the repository (as in CI), else the copy kept with the tests.
const shared = path.resolve(REPO, "../shared/goals/public.jsonl");
const corpus = existsSync(shared) ? shared : path.resolve(REPO, "test/fixtures/goals/public.jsonl");
const lines: GoalLine[] = readFileSync(corpus, "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

/** What each file must hold, from the corpus' `check` column. */
const fileChecks: Record<string, (content: string) => void> = {
  "output/users.json": (c) => expect(JSON.parse(c)).toHaveLength(10),
  "output/posts.json": (c) => expect(JSON.parse(c)).toHaveLength(30),
  "output/active.json": (c) => {
    const items = JSON.parse(c) as { active: boolean }[];
    expect(items).toHaveLength(6);
    expect(items.every((u) => u.active === true)).toBe(true);
  },
  "output/user1.json": (c) => {
    const items = JSON.parse(c) as { userId: number }[];
    expect(items).toHaveLength(6);
    expect(items.every((p) => p.userId === 1)).toBe(true);
  },
  "output/renamed.json": (c) => {
    const items = JSON.parse(c) as Record<string, unknown>[];
    expect(items).toHaveLength(10);
    expect(items.every((u) => typeof u.full_name === "string" && !("name" in u))).toBe(true);
  },
  "output/one.json": (c) => expect(JSON.stringify(JSON.parse(c))).toContain('"one":1'),
  "output/combined.json": (c) => {
    const text = JSON.stringify(JSON.parse(c));
    expect(text).toContain('"name":"Ada"');
    expect(text).toContain('"title":"Post number 30"');
  },
  "output/hello.txt": (c) => expect(c).toBe("Hello from the workflow engine"),
  "output/top3.json": (c) => expect((JSON.parse(c) as { name: string }[]).map((u) => u.name)).toEqual(["Ada", "Brian", "Chloe"]),
  "output/count.json": (c) => expect(JSON.parse(c)).toBe(30),
  "output/slow.json": (c) => expect(JSON.stringify(JSON.parse(c))).toContain("slow"),
  "output/u3.json": (c) => {
    const items = JSON.parse(c) as { userId: number }[];
    expect(items).toHaveLength(6);
    expect(items.every((p) => p.userId === 3)).toBe(true);
  },
};

function reaches(tasks: JsonTask[], from: string, to: string): boolean {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const stack = [from];
  while (stack.length) {
    const id = stack.pop() as string;
    if (id === to) return true;
    stack.push(...(byId.get(id)?.dependencies ?? []));
  }
  return false;
}

describe("every public goal, end to end through the CLI (rule planner, fixture API)", () => {
  let api: ApiFixture;
  let ws: { dir: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    api = await startApiFixture();
    ws = await makeTempDir("wf-goals-");
    await mkdir(path.join(ws.dir, "output"), { recursive: true });
    await writeFile(path.join(ws.dir, "output/tmp.txt"), "to be deleted");
  });
  afterAll(async () => {
    await api.close();
    await ws.cleanup();
  });

  // In corpus order: later goals read files that earlier goals wrote (output/users.json).
  for (const line of lines) {
    it(line.goal, async () => {
      const goal = line.goal.replaceAll("{API}", api.url);
      const before = api.requests.length;
      const run = await runCli(["--goal", goal, "--workspace", ws.dir, "--json", "--planner", "rules"]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout) as { status: string; tasks: JsonTask[] };
      expect(out.status).toBe("completed");
      expect(out.tasks.map((t) => t.action_type).sort()).toEqual([...line.actions].sort());
      if (line.file) fileChecks[line.file]?.(readFileSync(path.join(ws.dir, line.file), "utf8"));
      if (line.file) expect(fileChecks[line.file]).toBeDefined();
      if (line.parallel) {
        const fetches = out.tasks.filter((t) => t.action_type === "api_call");
        expect(reaches(out.tasks, fetches[0]?.id ?? "", fetches[1]?.id ?? "")).toBe(false);
        expect(reaches(out.tasks, fetches[1]?.id ?? "", fetches[0]?.id ?? "")).toBe(false);
      }
      if (line.goal.startsWith("POST")) {
        const posts = api.requests.slice(before).filter((r) => r.method === "POST");
        expect(posts).toHaveLength(1);
        expect(posts[0]?.body).toEqual({ name: "widget" });
      }
      if (line.goal.startsWith("Delete")) expect(existsSync(path.join(ws.dir, "output/tmp.txt"))).toBe(false);
    });
  }
});
