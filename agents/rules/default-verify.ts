import type { ActionType } from "../../src/model/plan-schema.js";
import type { VerifyRule } from "../../src/model/verify-rule.js";

/**
 * The post-conditions the rule planner adds where a task's success is easy to misjudge: an HTTP call answered
 * 2xx (a 3xx is not an error, yet not the answer either), and a write of literal text wrote all of its bytes.
 */
export function defaultVerify(action_type: ActionType, config: Record<string, unknown>): VerifyRule[] | undefined {
  if (action_type === "api_call") {
    return [{ assert: "result.status >= 200 and result.status < 300", message: "the API answered with a 2xx status" }];
  }
  const writes = action_type === "file_operation" && (config.operation === "write" || config.operation === "append");
  if (writes && typeof config.content === "string" && !config.content.includes("{{")) {
    const bytes = Buffer.byteLength(config.content, "utf8");
    return [{ assert: `result.bytes_written = ${bytes}`, message: `the file got all ${bytes} bytes` }];
  }
  return undefined;
}
