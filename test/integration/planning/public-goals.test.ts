import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiFixture, POSTS, startApiFixture, USERS } from "../../fixtures/api-server.js";
import { REPO, runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { listenOnLoopback } from "../../fixtures/loopback.js";

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

/** An API that answers its list wrapped, as many do: `{items: [...], page: 1}`. */
async function startWrappedApi(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    const text = JSON.stringify({ items: USERS, page: 1 });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("the rule planner says only what is true, end to end through the CLI", () => {
  let api: ApiFixture;
  let wrapped: { url: string; close: () => Promise<void> };
  let ws: { dir: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    api = await startApiFixture();
    wrapped = await startWrappedApi();
    ws = await makeTempDir("wf-true-");
  });
  afterAll(async () => {
    await api.close();
    await wrapped.close();
    await ws.cleanup();
  });

  async function run(
    goal: string,
  ): Promise<{ code: number | null; out: { status: string; tasks: JsonTask[] } | undefined; stderr: string }> {
    const result = await runCli(["--goal", goal, "--workspace", ws.dir, "--json", "--planner", "rules"]);
    return { code: result.code, out: result.stdout.trim() ? JSON.parse(result.stdout) : undefined, stderr: result.stderr };
  }
  const file = (name: string): unknown => JSON.parse(readFileSync(path.join(ws.dir, name), "utf8"));

  it.each([
    ["Get {API}/users and write the names to output/names.json", "output/names.json", USERS.map((u) => u.name)],
    ["Fetch {API}/users and save the ids to output/ids.json", "output/ids.json", USERS.map((u) => u.id)],
    ["How many posts are at {API}/posts? Save the number to output/post-count.json", "output/post-count.json", 30],
    ["Fetch {API}/users sorted by name descending and save the first 2 to output/z.json", "output/z.json", [USERS[9], USERS[8]]],
    ["Fetch {API}/users where city is Lima and save to output/lima.json", "output/lima.json", USERS.filter((u) => u.city === "Lima")],
    [
      "Fetch {API}/posts, keep only those with likes greater than 40, and save them to output/liked.json",
      "output/liked.json",
      POSTS.filter((p) => p.likes > 40),
    ],
  ])("%s", async (goal, name, expected) => {
    const result = await run(goal.replaceAll("{API}", api.url));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.out?.status).toBe("completed");
    expect(file(name)).toEqual(expected);
  });

  it("a filter over a wrapped answer ({items: [...]}) filters the items, not an empty list", async () => {
    const result = await run(`Fetch ${wrapped.url}/users, keep only items where active is true and save to output/wrapped.json`);
    expect(result.code).toBe(0);
    expect(file("output/wrapped.json")).toEqual(USERS.filter((u) => u.active));
  });

  it("a filter over an answer that is not a list fails, naming why, and writes nothing", async () => {
    const result = await run(`Fetch ${api.url}/status, keep only items where active is true and save to output/status.json`);
    expect(result.code).toBe(1);
    expect(result.out?.status).toBe("failed");
    const filter = result.out?.tasks.find((t) => t.action_type === "transform_data");
    expect(JSON.stringify(filter)).toContain(
      "cannot keep items where active == true: the data is an object with keys state, version, not a list",
    );
    expect(existsSync(path.join(ws.dir, "output/status.json"))).toBe(false);
  });

  it("a clause it cannot place is refused by name (exit 2) and nothing runs", async () => {
    const before = api.requests.length;
    const result = await run(`Fetch ${api.url}/users and save the top 3 to output/top.json`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"save the top 3 to output/top.json"');
    expect(api.requests.length).toBe(before);
  });
});
