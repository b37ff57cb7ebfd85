import { describe, expect, it } from "vitest";
import { withFlags } from "../../../src/cli/flag-names.js";

describe("withFlags: the engine's setting names, as the CLI flags that set them", () => {
  it("names the flag of every limit, and leaves unknown names alone", () => {
    expect(withFlags("raise the limit (limits.taskTimeoutSeconds) if")).toBe("raise the limit (--task-timeout) if");
    expect(withFlags("(limits.maxLlmCalls, limits.maxLlmTokens)")).toBe("(--max-llm-calls, --max-llm-tokens)");
    expect(withFlags("limits.noSuchLimit")).toBe("limits.noSuchLimit");
  });

  it("rewrites the policy settings, planner, waiting, persistence, variables and plan files", () => {
    expect(withFlags('allow it: allowHosts: ["10.0.0.5:8080"] (or ALLOW_HOSTS=10.0.0.5:8080 in the environment).')).toBe(
      "allow it: --allow-host 10.0.0.5:8080 (or ALLOW_HOSTS=10.0.0.5:8080 in the environment).",
    );
    expect(withFlags("To let db_query write, set allowWrites: true, or")).toBe("To let db_query write, set --allow-writes, or");
    expect(withFlags('Run it with approve: "ask" to decide, or approve: "auto"')).toBe(
      "Run it with --approve ask to decide, or --approve auto",
    );
    expect(withFlags('planner: "llm" needs OPENAI_API_KEY')).toBe("--planner llm needs OPENAI_API_KEY");
    expect(withFlags("Wait for it (waitSeconds), or")).toBe("Wait for it (--wait [SECONDS]), or");
    expect(withFlags('or keep the checkpoints in memory (persist: "memory").')).toBe("or keep the checkpoints in memory (--no-persist).");
    expect(withFlags("(give it as variables.user_id)")).toBe("(give it as --var user_id=...)");
    expect(withFlags("write the plan yourself and run it as a plan file.")).toBe("write the plan yourself and pass it with --plan FILE.");
  });
});
