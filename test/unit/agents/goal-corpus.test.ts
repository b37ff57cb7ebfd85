import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RulePlanner } from "../../../agents/rule-planner.js";
import { evaluateExpression as evaluateBounded } from "../../../src/actions/transform-data/evaluate.js";
import { evaluationBounds } from "../../../src/actions/transform-data/run.js";
import { Limits } from "../../../src/model/safety-policy.js";

/** The engine's own evaluator, with the default limits. */
const evaluateExpression = (expression: string, input: unknown) =>
  evaluateBounded(expression, input, evaluationBounds(Limits.parse({}), new AbortController().signal));
import { GoalNotUnderstoodError } from "../../../src/model/errors.js";
import type { Plan, TaskSpec } from "../../../src/model/plan-schema.js";
import { validatePlan } from "../../../src/plan/validate.js";
import { POSTS, USERS } from "../../fixtures/api-server.js";

/**
 * The rule planner against test/fixtures/goals/corpus.jsonl (see its README). Every goal is either
 * planned or refused as the corpus says; a planned goal has the tasks it lists, every clause of it
 * shows in a task (nothing dropped), and every transform is RUN on sample data by the engine's own
 * evaluator and must give the expected output (or fail with the expected error). A refused goal names
 * the phrase it could not place.
 */

const API = "http://127.0.0.1:8080";
const CORPUS = new URL("../../fixtures/goals/corpus.jsonl", import.meta.url);

interface Check {
  sample: string;
  out?: unknown;
  ids?: number[];
  error?: string;
}
interface PlannedGoal {
  goal: string;
  clauses: string[];
  tasks: { action_type: string; action_config?: Record<string, unknown> }[];
  transforms?: Check[];
}
interface RefusedGoal {
  goal: string;
  refuse: string;
}
type Entry = PlannedGoal | RefusedGoal;

/**
 * Sample inputs: the fixture API's users and posts, bare and wrapped in {items|data|results}, objects
 * that are not lists (a status answer, two merged results, a weather reading), one user, a folder
 * listing, and todos.
 */
const SAMPLES: Readonly<Record<string, unknown>> = {
  users: USERS,
  posts: POSTS,
  wrapped_users: { items: USERS, page: 1 },
  data_posts: { data: POSTS, total: 30 },
  results_users: { results: USERS, next: null },
  status: { state: "ok", version: "1.4.2" },
  user3: USERS[2],
  merged: { users: USERS, posts: POSTS },
  todos: [
    { id: 1, title: "write", completed: false },
    { id: 2, title: "test", completed: true },
    { id: 3, title: "ship", completed: false },
  ],
  weather: { temperature: 21, unit: "C" },
  entries: [
    { name: "users.json", type: "file", size: 912 },
    { name: "tmp", type: "directory", size: 0 },
    { name: "hello.txt", type: "file", size: 5 },
  ],
};

function withApi<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll("{API}", API)) as T;
}

const entries: Entry[] = readFileSync(CORPUS, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => withApi(JSON.parse(l) as Entry));
const planned = entries.filter((e): e is PlannedGoal => !("refuse" in e));
const refused = entries.filter((e): e is RefusedGoal => "refuse" in e);

const planner = new RulePlanner();
type Outcome = { plan: Plan } | { refusal: GoalNotUnderstoodError };

async function outcome(goal: string): Promise<Outcome> {
  try {
    const result = await planner.plan({ goal, variables: {} });
    return { plan: validatePlan(result.plan) };
  } catch (err) {
    if (err instanceof GoalNotUnderstoodError) return { refusal: err };
    throw err;
  }
}

/** Words a goal may hold outside its clauses: separators and filler, nothing that asks for anything. */
const FILLER = /^(?:[\s,.;:?!]|\b(?:and|then|also|finally|please|but|i need you to|can you|in parallel)\b)*$/i;

/** The transform tasks that run planned operations (a merge of several results is `$`). */
function listTransforms(plan: Plan): TaskSpec[] {
  return plan.tasks.filter((t) => t.action_type === "transform_data" && t.action_config.expression !== "$");
}

async function runCheck(task: TaskSpec, check: Check): Promise<void> {
  const expression = String(task.action_config.expression);
  const input = SAMPLES[check.sample];
  expect(input, `sample "${check.sample}"`).toBeDefined();
  if (check.error !== undefined) {
    await expect(evaluateExpression(expression, input)).rejects.toThrow(check.error);
    return;
  }
  const data = JSON.parse(JSON.stringify((await evaluateExpression(expression, input)) ?? null)) as unknown;
  if (check.out !== undefined) expect(data).toEqual(check.out);
  if (check.ids !== undefined) {
    expect(Array.isArray(data)).toBe(true);
    expect((data as { id: unknown }[]).map((x) => x.id)).toEqual(check.ids);
  }
}

describe("the goal corpus: what the rule planner must plan", () => {
  it("holds at least 100 planned goals and 20 refusals, each clause a part of its goal, nothing else said", () => {
    expect(planned.length).toBeGreaterThanOrEqual(100);
    expect(refused.length).toBeGreaterThanOrEqual(20);
    for (const e of planned) {
      let rest = e.goal;
      for (const clause of e.clauses) {
        expect(rest, `clause "${clause}" of "${e.goal}"`).toContain(clause);
        rest = rest.replace(clause, " ");
      }
      expect(rest, `"${e.goal}" says more than its clauses`).toMatch(FILLER);
      expect(listTransformCount(e), `"${e.goal}": one check per transform`).toBe(e.transforms?.length ?? 0);
    }
  });

  it.each(planned.map((e) => [e.goal, e] as const))("plans %s", async (_goal, e) => {
    const result = await outcome(e.goal);
    if ("refusal" in result) throw new Error(`refused: ${JSON.stringify(result.refusal.notUnderstood)}`);
    const { plan } = result;
    expect(plan.tasks.map((t) => t.action_type)).toEqual(e.tasks.map((t) => t.action_type));
    e.tasks.forEach((expected, i) => {
      expect(plan.tasks[i]?.action_config).toMatchObject(expected.action_config ?? {});
    });
    for (const clause of e.clauses) {
      const shown = plan.tasks.some((t) => (t.description ?? "").includes(`"${clause}"`));
      expect(shown, `clause "${clause}" shows in no task`).toBe(true);
    }
    const transforms = listTransforms(plan);
    expect(transforms).toHaveLength(e.transforms?.length ?? 0);
    for (const [i, check] of (e.transforms ?? []).entries()) await runCheck(transforms[i] as TaskSpec, check);
  });
});

function listTransformCount(e: PlannedGoal): number {
  return e.tasks.filter((t) => t.action_type === "transform_data" && t.action_config?.expression !== "$").length;
}

describe("the goal corpus: what the rule planner must refuse", () => {
  it.each(refused.map((e) => [e.goal, e] as const))("refuses %s", async (_goal, e) => {
    const result = await outcome(e.goal);
    if ("plan" in result) throw new Error(`planned: ${result.plan.tasks.map((t) => t.name).join("; ")}`);
    const named = result.refusal.notUnderstood.some((n) => n === e.refuse || n.startsWith(`${e.refuse} (`));
    expect(named, `not named: ${JSON.stringify(result.refusal.notUnderstood)}`).toBe(true);
    expect(result.refusal.message).toContain(`"${e.refuse}`);
  });
});

describe("the goal corpus: coverage", () => {
  it("reports how many goals were understood and refused as expected, and fails on any mismatch", async () => {
    const mismatches: string[] = [];
    let understood = 0;
    let refusedAsExpected = 0;
    for (const e of planned) {
      const result = await outcome(e.goal);
      if ("plan" in result) understood += 1;
      else mismatches.push(`refused, expected a plan: ${e.goal} -> ${JSON.stringify(result.refusal.notUnderstood)}`);
    }
    for (const e of refused) {
      const result = await outcome(e.goal);
      const named = "refusal" in result && result.refusal.notUnderstood.some((n) => n === e.refuse || n.startsWith(`${e.refuse} (`));
      if (named) refusedAsExpected += 1;
      else
        mismatches.push(
          `${"plan" in result ? "planned" : "refused naming other phrases"}, expected a refusal naming "${e.refuse}": ${e.goal}`,
        );
    }
    console.log(
      `goal corpus: ${entries.length} goals; understood ${understood}/${planned.length} as expected; ` +
        `refused ${refusedAsExpected}/${refused.length} as expected${mismatches.length ? `\n  ${mismatches.join("\n  ")}` : ""}`,
    );
    expect(mismatches).toEqual([]);
  });
});
