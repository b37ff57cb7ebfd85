import { z } from "zod";

/** A library workflow's name: lowercase letters, digits, _ and -, starting with a letter (max 64). */
export const WORKFLOW_NAME = /^[a-z][a-z0-9_-]{0,63}$/;
/** A version: MAJOR.MINOR.PATCH, numbers only (compared as numbers, so 1.10.0 is newer than 1.9.0). */
export const WORKFLOW_VERSION = /^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$/;

/**
 * `workflow` config: run a library workflow as a child run. `name` is literal (a reference could name any
 * workflow and hide a cycle); `version` is pinned when the parent is compiled (the newest when not given).
 */
export const WorkflowCallConfig = z.strictObject({
  name: z.string().regex(WORKFLOW_NAME, "a workflow name is lowercase letters, digits, _ and -, starting with a letter (max 64)"),
  version: z.string().regex(WORKFLOW_VERSION, "a version is MAJOR.MINOR.PATCH, e.g. 1.0.0").optional(),
  /** The child's inputs; values may be `{{references}}` to the parent's inputs and results. */
  inputs: z.record(z.string(), z.unknown()).default({}),
});
export type WorkflowCallConfig = z.infer<typeof WorkflowCallConfig>;
