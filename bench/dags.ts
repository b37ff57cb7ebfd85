import type { PlanInput } from "../src/model/plan-schema.js";

export interface BenchTask {
  id: string;
  ms: number;
  dependencies: string[];
}

/** A small seeded PRNG (mulberry32) so every run benches the same DAGs. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One 500 ms task beside a chain of five 100 ms tasks: critical path 500 ms. */
export function slowBesideChain(): BenchTask[] {
  const chain = [1, 2, 3, 4, 5].map((i) => ({ id: `c${i}`, ms: 100, dependencies: i === 1 ? [] : [`c${i - 1}`] }));
  return [{ id: "slow", ms: 500, dependencies: [] }, ...chain];
}

/** `n` tasks with random waits in [minMs, maxMs]; each depends on up to 3 random earlier tasks. */
export function randomDag(n: number, seed: number, minMs = 10, maxMs = 100): BenchTask[] {
  const random = seeded(seed);
  const tasks: BenchTask[] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(random() * 4);
    for (let k = 0; k < count; k++) deps.add(`t${Math.floor(random() * i)}`);
    tasks.push({ id: `t${i}`, ms: Math.round(minMs + random() * (maxMs - minMs)), dependencies: [...deps] });
  }
  return tasks;
}

/** The longest chain of planned waits. */
export function plannedCriticalPath(tasks: readonly BenchTask[]): number {
  const finish = new Map<string, number>();
  for (const t of tasks) {
    const start = Math.max(0, ...t.dependencies.map((d) => finish.get(d) ?? 0));
    finish.set(t.id, start + t.ms);
  }
  return Math.max(...finish.values());
}

/** The DAG as a plan of `wait` tasks. */
export function toPlan(tasks: readonly BenchTask[]): PlanInput {
  return { tasks: tasks.map((t) => ({ id: t.id, action_type: "wait", action_config: { ms: t.ms }, dependencies: t.dependencies })) };
}
