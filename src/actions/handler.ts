import type { z } from "zod";
import type { ActionType } from "../model/plan-schema.js";
import type { ActionContext } from "./types.js";

/** One action type: its config schema and the function that runs it. */
export interface ActionHandler<S extends z.ZodType = z.ZodType, R = unknown> {
  readonly type: ActionType;
  readonly schema: S;
  run(config: z.infer<S>, ctx: ActionContext): Promise<R>;
}
