import { z } from "zod";
import { WorkflowDefinition } from "./workflow-schema.js";

/**
 * The JSON Schema of the workflow file format, for editors (docs/workflow.schema.json, written by
 * `npm run schema`; a test keeps the file in step with the zod schema, which is the source of truth).
 */
export function workflowJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(WorkflowDefinition, { io: "input", unrepresentable: "any" }),
    $id: "https://github.com/agentic-workflow-engine/workflow.schema.json",
    title: "Workflow file (agentic-workflow-engine)",
  };
}
