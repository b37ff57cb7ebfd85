import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { makeTempDir } from "../../fixtures/context.js";
import { heldEndpoint } from "../../fixtures/loopback.js";
import { type OpenAiFixture, startOpenAiFixture } from "../../fixtures/openai-server.js";

let held: Awaited<ReturnType<typeof heldEndpoint>>;
let openai: OpenAiFixture;
beforeAll(async () => {
  held = await heldEndpoint();
  openai = await startOpenAiFixture();
});
afterAll(async () => {
  held.release();
  await held.close();
  await openai.close();
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function engine(options: ConstructorParameters<typeof WorkflowEngine>[0] = {}): Promise<WorkflowEngine> {
  const { dir, cleanup } = await makeTempDir("wf-limits-");
  const e = new WorkflowEngine({ workspace: dir, persist: "memory", ...options });
  cleanups.push(async () => {
    await e.close();
    await cleanup();
  });
  return e;
}

const waitPlan = (seconds: number, extra: PlanInput["tasks"] = []): PlanInput => ({
  tasks: [
    { id: "long", action_type: "wait", action_config: { seconds }, retry: { max_attempts: 1, backoff_ms: 0, max_backoff_ms: 0 } },
    ...extra,
  ],
});

describe("limits end a task or a run with a clear error, never a hang", () => {
  it("maxTasks: a plan over the limit is refused before anything runs (PLAN_TOO_LARGE)", async () => {
    const e = await engine({ limits: { maxTasks: 2 } });
    const tasks = ["a", "b", "c"].map((id) => ({ id, action_type: "wait" as const, action_config: { seconds: 0.01 } }));
    await expect(e.run({ tasks })).rejects.toMatchObject({ code: "PLAN_TOO_LARGE", message: expect.stringContaining("limits.maxTasks") });
    expect(await e.listRuns()).toEqual([]);
  });

  it("taskTimeoutSeconds: an attempt past it fails with TASK_TIMEOUT", async () => {
    const e = await engine({ limits: { taskTimeoutSeconds: 0.2 } });
    const started = Date.now();
    const result = await e.run(waitPlan(30));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.status).toBe("failed");
    expect(result.tasks[0]?.error).toMatchObject({ code: "TASK_TIMEOUT", message: expect.stringContaining("limits.taskTimeoutSeconds") });
  });

  it("taskTimeoutSeconds holds even for a request that never answers", async () => {
    const e = await engine({ limits: { taskTimeoutSeconds: 0.3 }, allowHosts: [new URL(held.url).host] });
    const result = await e.run({
      tasks: [
        {
          id: "hang",
          action_type: "api_call",
          action_config: { url: held.url },
          retry: { max_attempts: 1, backoff_ms: 0, max_backoff_ms: 0 },
        },
      ],
    });
    expect(result.tasks[0]?.error?.code).toBe("TASK_TIMEOUT");
  });

  it("runDeadlineSeconds: the run stops at its deadline with RUN_DEADLINE, the rest skipped", async () => {
    const e = await engine({ limits: { runDeadlineSeconds: 0.3 } });
    const result = await e.run(
      waitPlan(30, [{ id: "next", action_type: "wait", action_config: { seconds: 0.01 }, dependencies: ["long"] }]),
    );
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "RUN_DEADLINE", message: expect.stringContaining("limits.runDeadlineSeconds") });
    expect(result.tasks.find((t) => t.id === "next")?.status).toBe("skipped");
  });

  it("maxLlmCalls: planning stops before the call past the budget (LLM_BUDGET_EXCEEDED)", async () => {
    // Every reply is an invalid plan, so the planner would ask three times; the budget allows one.
    for (let i = 0; i < 3; i++) openai.reply({ tool_call: { name: "plan", arguments: { tasks: [] } } });
    const before = openai.requests.length;
    const e = await engine({
      planner: "llm",
      env: { OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: openai.url },
      limits: { maxLlmCalls: 1 },
    });
    await expect(e.run("fetch something")).rejects.toMatchObject({
      code: "LLM_BUDGET_EXCEEDED",
      message: expect.stringContaining("limits.maxLlmCalls"),
    });
    expect(openai.requests.length - before).toBe(1);
  });
});
