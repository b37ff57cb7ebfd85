import type { WorkflowResult } from "../src/engine/result.js";
import { WorkflowEngine } from "../src/engine/workflow-engine.js";
import { startBenchApi } from "./api-fixture.js";
import { atLeast, info, round, type SummaryRow, workspace } from "./common.js";
import { startBenchLlm } from "./openai-fixture.js";

/** Section 5: planning cost (LLM calls, tokens) first run and cached, and a 4-fetch goal at concurrency 8 vs 1. */
export interface PlanningRow {
  concurrency: number;
  run: "first (LLM planned)" | "cached plan";
  wall_ms: number;
  llm_calls: number;
  llm_tokens: number;
  fixture_calls: number;
}

const LLM_LATENCY_MS = 300;
const FETCH_MS = 1000;
const GOAL = "Fetch the four reports a, b, c and d from the bench API in parallel";

async function engineRun(engine: WorkflowEngine, goal: string): Promise<WorkflowResult> {
  const result = await engine.run(goal);
  if (result.status !== "completed") throw new Error(`planning bench ended ${result.status}`);
  return result;
}

export async function benchPlanning(redisUrl: string): Promise<{ rows: PlanningRow[]; summary: SummaryRow[]; note?: string }> {
  const api = await startBenchApi();
  const fetchTask = (id: string) => ({
    id: `fetch_${id}`,
    name: `Fetch report ${id}`,
    action_type: "api_call",
    action_config: { method: "GET", url: `${api.url}/reports/${id}?ms=${FETCH_MS}` },
    dependencies: [],
  });
  const llm = await startBenchLlm(LLM_LATENCY_MS, () => ({ tasks: ["a", "b", "c", "d"].map(fetchTask) }));
  const rows: PlanningRow[] = [];
  try {
    // Warm-up (not recorded): the first LLM-planned run in a process loads the LLM modules and opens the
    // HTTP clients; without it the first measured engine pays that and the c=8 vs c=1 ratio is skewed.
    const warm = new WorkflowEngine({
      workspace: workspace(),
      concurrency: 8,
      persist: "memory",
      planner: "llm",
      advisor: null,
      allowHosts: [new URL(api.url).host],
      env: { OPENAI_API_KEY: "bench", OPENAI_BASE_URL: llm.url },
    });
    try {
      await engineRun(warm, GOAL);
    } finally {
      await warm.close();
    }
    for (const concurrency of [8, 1]) {
      // A fresh cache prefix per engine: its first run is planned by the LLM, its second comes from the Redis plan cache.
      const engine = new WorkflowEngine({
        workspace: workspace(),
        concurrency,
        persist: "memory",
        planner: "llm",
        advisor: null,
        // The fixture API is on loopback, which a model's plan may reach only when allowed.
        allowHosts: [new URL(api.url).host],
        redisUrl,
        redisPrefix: `wf-bench-${process.pid}-${Date.now()}-c${concurrency}`,
        env: { OPENAI_API_KEY: "bench", OPENAI_BASE_URL: llm.url },
      });
      try {
        for (const run of ["first (LLM planned)", "cached plan"] as const) {
          const before = llm.calls;
          const start = performance.now();
          const result = await engineRun(engine, GOAL);
          const wall = performance.now() - start;
          rows.push({
            concurrency,
            run,
            wall_ms: round(wall, 1),
            llm_calls: result.metrics.llm_calls,
            llm_tokens: result.metrics.llm_tokens,
            fixture_calls: llm.calls - before,
          });
        }
      } finally {
        await engine.close();
      }
    }
  } finally {
    await llm.close();
    await api.close();
  }
  const summary: SummaryRow[] = [];
  const find = (c: number, run: PlanningRow["run"]) => rows.find((r) => r.concurrency === c && r.run === run);
  const first = find(8, "first (LLM planned)");
  const cached = find(8, "cached plan");
  if (first)
    summary.push(info("5 planning", "LLM calls / tokens per workflow, first run", `${first.llm_calls} calls, ${first.llm_tokens} tokens`));
  if (cached)
    summary.push(
      info("5 planning", "LLM calls / tokens per workflow, cached plan", `${cached.llm_calls} calls, ${cached.llm_tokens} tokens`),
    );
  for (const run of ["first (LLM planned)", "cached plan"] as const) {
    const c8 = find(8, run);
    const c1 = find(1, run);
    if (!c8 || !c1) continue;
    const speedup = c1.wall_ms / c8.wall_ms;
    summary.push(
      atLeast(
        "5 planning",
        `4 fetches × ${FETCH_MS} ms, ${run}: c=1 ÷ c=8`,
        speedup,
        3,
        `${round(speedup)}× (${c1.wall_ms} vs ${c8.wall_ms} ms)`,
        "≥ 3×",
      ),
    );
  }
  return { rows, summary };
}
