import { describe, expect, it } from "vitest";
import { PlanValidationError, type WorkflowError } from "../../../src/model/errors.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { resolveTemplates, type TemplateScope } from "../../../src/plan/template.js";
import { validatePlan } from "../../../src/plan/validate.js";
import { envNamesAllowed, envScope, refuseRedactedSecrets } from "../../../src/safety/secrets/access.js";
import { REDACTED } from "../../../src/safety/secrets/scrubber.js";

const call = (id: string, headers: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  id,
  action_type: "api_call" as const,
  action_config: { url: "http://127.0.0.1:9/x", headers, ...extra },
});

function thrown(fn: () => unknown): WorkflowError {
  try {
    fn();
  } catch (err) {
    return err as WorkflowError;
  }
  throw new Error("expected an error");
}

describe("{{env.NAME}} in plans", () => {
  it("validates as a reserved root: no variable needed, no dependency added", () => {
    const plan = validatePlan({ tasks: [call("a", { Authorization: "Bearer {{env.API_TOKEN}}" })] });
    expect(plan.tasks[0]?.dependencies).toEqual([]);
  });

  it("rejects a task or a variable called env, and env references that name no variable", () => {
    const bad: PlanInput = {
      variables: { env: "x" },
      tasks: [
        { id: "env", action_type: "wait", action_config: { seconds: 0 } },
        call("b", { A: "{{env}}", B: "{{env.a.b}}", C: "{{env[0]}}" }),
      ],
    };
    const err = thrown(() => validatePlan(bad));
    expect(err).toBeInstanceOf(PlanValidationError);
    expect(err.code).toBe("PLAN_INVALID");
    const issues = (err as PlanValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual([
      "tasks[0].id",
      "variables",
      "tasks[1].action_config",
      "tasks[1].action_config",
      "tasks[1].action_config",
    ]);
    expect(issues[0]?.message).toMatch(/"env" is reserved .*cannot be a task id; rename it/);
    expect(issues[2]?.message).toMatch(/\{\{env\}\}: "env" is reserved for \{\{env\.NAME\}\}/);
    expect(thrown(() => validatePlan({ tasks: [call("a", {})] }, { variables: ["env"] })).message).toMatch(/cannot be a variable name/);
  });

  it("resolves only the names in scope, and says why when it cannot", () => {
    const scope: TemplateScope = { results: {}, variables: {}, taskIds: new Set(), env: { API_TOKEN: "t-123456", UNSET: undefined } };
    expect(resolveTemplates({ h: "Bearer {{env.API_TOKEN}}", pure: "{{ env.API_TOKEN }}" }, scope)).toEqual({
      h: "Bearer t-123456",
      pure: "t-123456",
    });
    const unlisted = thrown(() => resolveTemplates("{{env.HOME}}", scope));
    expect(unlisted.code).toBe("TEMPLATE_UNRESOLVED");
    expect(unlisted.message).toMatch(/read only where the plan you wrote refers to them, and it does not refer to HOME/);
    expect(thrown(() => resolveTemplates("{{env.UNSET}}", scope)).message).toMatch(/the environment variable UNSET is not set/);
    expect(thrown(() => resolveTemplates("{{env.API_TOKEN}}", { ...scope, env: undefined })).code).toBe("TEMPLATE_UNRESOLVED");
  });

  it("a run may read the names its user's plan refers to; a model's plan that reads the environment is refused", () => {
    const plan = validatePlan({
      tasks: [
        call("a", { Authorization: "Bearer {{env.B_TOKEN}}" }),
        { ...call("b", { X: "{{env.A_KEY}}" }), on_failure: { modify: { url: "{{env.C_URL}}" } } },
      ],
    });
    expect(envNamesAllowed(plan, "user")).toEqual(["A_KEY", "B_TOKEN", "C_URL"]);
    const err = thrown(() => envNamesAllowed(plan, "model"));
    expect(err.code).toBe("PLAN_INVALID");
    expect(err.message).toMatch(
      /\{\{env\.B_TOKEN\}\} reads the environment, which only plans you write may do; the planner wrote this one/,
    );
    expect(envScope({ A_KEY: "k", HOME: "/h" }, { envNames: ["A_KEY", "B_TOKEN"] })).toEqual({ A_KEY: "k", B_TOKEN: undefined });
    expect(envScope({ A_KEY: "k" }, {})).toEqual({});
  });
});

describe("a secret lost to a resume", () => {
  it("fails with SECRET_UNAVAILABLE where a secret goes, and names the field", () => {
    const err = thrown(() => refuseRedactedSecrets({ url: "http://h/", headers: { Authorization: `Bearer ${REDACTED}` } }, "fetch"));
    expect(err.code).toBe("SECRET_UNAVAILABLE");
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(
      /Task "fetch" would send \[redacted\] as headers\.Authorization: .*Put secrets in the plan as \{\{env\.NAME\}\}/,
    );
    expect(thrown(() => refuseRedactedSecrets({ url: `http://u:${REDACTED}@h/` }, "t")).message).toMatch(/as url:/);
    expect(thrown(() => refuseRedactedSecrets({ query: "select 1", params: [REDACTED] }, "q")).message).toMatch(/as params\[0\]/);
  });

  it("lets through a redacted text that is data, not a credential", () => {
    expect(() => refuseRedactedSecrets({ url: "http://h/", body: { note: `was ${REDACTED}` } }, "t")).not.toThrow();
  });
});
