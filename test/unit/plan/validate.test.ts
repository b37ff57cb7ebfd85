import { describe, expect, it } from "vitest";
import { PlanValidationError } from "../../../src/model/errors.js";
import { validatePlan } from "../../../src/plan/validate.js";
import { plan, waitTask } from "../../fixtures/plans.js";

function issuesOf(input: unknown): { code: string; messages: string[] } {
  try {
    validatePlan(input);
  } catch (err) {
    expect(err).toBeInstanceOf(PlanValidationError);
    const e = err as PlanValidationError;
    return { code: e.code, messages: e.issues.map((i) => `${i.path}: ${i.message}`) };
  }
  throw new Error("expected the plan to be invalid");
}

describe("validatePlan", () => {
  it("accepts a valid plan and applies defaults", () => {
    const p = validatePlan(plan(waitTask("a", 5), waitTask("b", 5, ["a"])));
    expect(p.tasks.map((t) => [t.id, t.dependencies])).toEqual([
      ["a", []],
      ["b", ["a"]],
    ]);
  });

  it("names duplicate ids", () => {
    const r = issuesOf(plan(waitTask("a"), waitTask("a")));
    expect(r.code).toBe("PLAN_INVALID");
    expect(r.messages).toContain('tasks[1].id: duplicate task id "a"');
  });

  it("names unknown dependencies", () => {
    const r = issuesOf(plan(waitTask("a", 0, ["ghost"])));
    expect(r.messages).toContain('tasks[0].dependencies: task "a" depends on unknown task "ghost"');
  });

  it("names the cycle", () => {
    const r = issuesOf(plan(waitTask("a", 0, ["c"]), waitTask("b", 0, ["a"]), waitTask("c", 0, ["b"])));
    expect(r.code).toBe("PLAN_CYCLE");
    expect(r.messages[0]).toMatch(/dependency cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)/);
  });

  it("finds a cycle made only through references", () => {
    const r = issuesOf(
      plan(
        { id: "x", action_type: "transform_data", action_config: { input: "{{y.data}}", expression: "$" } },
        { id: "y", action_type: "transform_data", action_config: { input: "{{x.data}}", expression: "$" } },
      ),
    );
    expect(r.code).toBe("PLAN_CYCLE");
  });

  it("rejects an unknown action type", () => {
    const r = issuesOf(plan({ id: "a", action_type: "launch_rocket", action_config: {} } as never));
    expect(r.messages[0]).toMatch(/^tasks\[0\]\.action_type: /);
  });

  it("checks each action's config against its type", () => {
    const r = issuesOf(
      plan(
        { id: "get", action_type: "api_call", action_config: { method: "FETCH", url: "http://x" } },
        { id: "w", action_type: "wait", action_config: {} },
        { id: "f", action_type: "file_operation", action_config: { operation: "write", path: "a.txt" } },
      ),
    );
    expect(r.messages.some((m) => m.startsWith("tasks[0].action_config.method"))).toBe(true);
    expect(r.messages).toContain('tasks[1].action_config: give exactly one of seconds or ms (wait "w")');
    expect(r.messages).toContain('tasks[2].action_config.content: content is required for write (file_operation "f")');
  });

  it("adds the dependency a reference implies", () => {
    const p = validatePlan(
      plan(
        { id: "fetch", action_type: "api_call", action_config: { url: "http://x/users" } },
        { id: "save", action_type: "file_operation", action_config: { operation: "write", path: "u.json", content: "{{fetch.data}}" } },
      ),
    );
    expect(p.tasks[1]?.dependencies).toEqual(["fetch"]);
  });

  it("rejects a reference to an unknown task or variable, and accepts a known variable", () => {
    const input = plan({ id: "w", action_type: "wait", action_config: { ms: "{{delay}}" } });
    expect(issuesOf(input).messages[0]).toContain('refers to unknown task or variable "delay"');
    expect(validatePlan(input, { variables: ["delay"] }).tasks[0]?.dependencies).toEqual([]);
  });

  it("rejects a task referencing itself and a malformed reference", () => {
    const r = issuesOf(
      plan(
        { id: "a", action_type: "transform_data", action_config: { input: "{{a.data}}", expression: "$" } },
        { id: "b", action_type: "transform_data", action_config: { input: "{{ not valid! }}", expression: "$" } },
      ),
    );
    expect(r.messages).toContain('tasks[0].action_config: task "a" references its own result {{a.data}}');
    expect(r.messages.some((m) => m.includes("malformed reference {{ not valid! }}"))).toBe(true);
  });

  it("rejects unknown task keys instead of ignoring a typo", () => {
    const r = issuesOf({ tasks: [{ ...waitTask("a"), depends_on: ["b"] }] });
    expect(r.messages[0]).toMatch(/depends_on/);
  });

  it("rejects an empty plan and a non-object", () => {
    expect(issuesOf({ tasks: [] }).messages[0]).toContain("at least one task");
    expect(issuesOf("nope").code).toBe("PLAN_INVALID");
  });
});
