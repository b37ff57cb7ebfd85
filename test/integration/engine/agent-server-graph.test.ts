import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createStudioGraph } from "../../../src/engine/studio-graph.js";
import type { WorkflowStateValue } from "../../../src/graph/workflow-state.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../../fixtures/counting-server.js";

// The graph `langgraph.json` serves, driven the way the Agent Server drives it: one invocation per thread,
// the client's input as given (a goal or a plan beside a context), events on the `custom` stream mode.
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir("wf-agent-graph-"));
});
afterEach(() => cleanup());

const context = (id: string, extra: Record<string, unknown> = {}) => ({
  workflow_id: id,
  status: "planning",
  started_at: new Date().toISOString(),
  concurrency: 4,
  ...extra,
});
const writePlan = (letter: string) => ({
  tasks: [
    { id: "produce", action_type: "transform_data", action_config: { input: { letter }, expression: "letter" } },
    { id: "pause", action_type: "wait", action_config: { ms: 50 }, dependencies: ["produce"] },
    {
      id: "save",
      action_type: "file_operation",
      action_config: { operation: "write", path: `out-${letter}.txt`, content: "{{produce.data}}" },
      dependencies: ["pause"],
    },
  ],
});

describe("the Agent Server graph", () => {
  it("takes a goal without workflow_plan, planned by the engine's plan entry", async () => {
    const graph = createStudioGraph({ WORKSPACE: dir });
    const final = (await graph.invoke({ context: context("g1", { goal: "Create output/hello.txt with 'Hello'" }) } as never, {
      configurable: { thread_id: "t-goal" },
    })) as WorkflowStateValue;
    expect(final.context.status).toBe("completed");
    expect(final.context.planner).toBe("rules");
    expect(readFileSync(path.join(dir, "output", "hello.txt"), "utf8")).toBe("Hello");
  });

  it("two threads with the same workflow_id each get their own results", async () => {
    const graph = createStudioGraph({ WORKSPACE: dir });
    const run = (letter: string) =>
      graph.invoke({ context: context("same-id"), workflow_plan: writePlan(letter) } as never, {
        configurable: { thread_id: `t-${letter}` },
      }) as Promise<WorkflowStateValue>;
    const [a, b] = await Promise.all([run("A"), run("B")]);
    expect([a.context.status, b.context.status]).toEqual(["completed", "completed"]);
    expect(readFileSync(path.join(dir, "out-A.txt"), "utf8")).toBe("A");
    expect(readFileSync(path.join(dir, "out-B.txt"), "utf8")).toBe("B");
    // A later run under the same id starts fresh (nothing left over from the first).
    const again = (await graph.invoke({ context: context("same-id"), workflow_plan: writePlan("C") } as never, {
      configurable: { thread_id: "t-A" },
    })) as WorkflowStateValue;
    expect(again.context.status).toBe("completed");
  });

  it("ignores a hostile context.safety: the policy is the server's, so an untrusted loopback host is refused", async () => {
    const server: CountingServer = await startCountingServer(() => 0);
    try {
      const graph = createStudioGraph({ WORKSPACE: dir });
      const hostile = { trustedHosts: ["*", "127.0.0.1"], allowWrites: true, approve: "auto", author: "user", limits: {} };
      const plan = {
        tasks: [{ id: "peek", action_type: "api_call", action_config: { url: `${server.url}/admin`, method: "GET" }, on_failure: "skip" }],
      };
      const final = (await graph.invoke({ context: context("h1", { safety: hostile }), workflow_plan: plan } as never, {
        configurable: { thread_id: "t-h" },
      })) as WorkflowStateValue;
      expect(final.safety?.allowWrites).toBe(false);
      expect(final.safety?.limits.taskTimeoutSeconds).toBeGreaterThan(0);
      expect(final.tasks.peek?.error?.code).toBe("NETWORK_REFUSED");
      expect(server.hits("/admin")).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("refuses an invalid plan with PLAN_INVALID, naming the bad value, and never lays out client-written tasks", async () => {
    const graph = createStudioGraph({ WORKSPACE: dir });
    const bad = { tasks: [{ id: "x", action_type: "shell_exec", action_config: {} }] };
    await expect(
      graph.invoke({ context: context("bad"), workflow_plan: bad } as never, { configurable: { thread_id: "t-bad" } }),
    ).rejects.toMatchObject({
      code: "PLAN_INVALID",
      message: expect.stringContaining('"shell_exec" is not one of'),
    });
    const injected = {
      tasks: { evil: { id: "evil", action_type: "wait", action_config: { ms: 1 }, dependencies: [], status: "pending", attempts: 0 } },
    };
    const final = (await graph.invoke({ context: context("inj", { goal: "Create output/ok.txt with 'ok'" }), ...injected } as never, {
      configurable: { thread_id: "t-inj" },
    })) as WorkflowStateValue;
    expect(Object.keys(final.tasks)).not.toContain("evil");
  });

  it("refuses a plan or variables over 8 MiB as JSON before the run starts, naming the field, the size and the limit", async () => {
    const graph = createStudioGraph({ WORKSPACE: dir });
    const huge = "x".repeat(9 * 1024 * 1024);
    for (const input of [
      { context: context("big-plan"), workflow_plan: { ...writePlan("Z"), description: huge } },
      { context: context("big-vars"), workflow_plan: writePlan("Z"), memory: { variables: { blob: huge } } },
    ]) {
      const thread = `t-${input.context.workflow_id}`;
      const refused = await graph.invoke(input as never, { configurable: { thread_id: thread } }).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(refused?.message).toMatch(/(workflow_plan|memory) is 9437\d{3} bytes as JSON; at most 8388608 are accepted/);
    }
  });

  it("streams the run's task events on the custom stream mode", async () => {
    const graph = createStudioGraph({ WORKSPACE: dir });
    const seen: { type: string; task_id?: string }[] = [];
    const stream = await graph.stream({ context: context("s1"), workflow_plan: writePlan("S") } as never, {
      configurable: { thread_id: "t-s" },
      streamMode: "custom",
    });
    for await (const event of stream) seen.push(event as { type: string; task_id?: string });
    const types = seen.map((e) => `${e.type}:${e.task_id ?? ""}`);
    expect(types).toEqual(
      expect.arrayContaining(["plan_ready:", "task_started:produce", "task_completed:produce", "task_started:save", "task_completed:save"]),
    );
  });
});
