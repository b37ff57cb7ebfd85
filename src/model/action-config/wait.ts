import { z } from "zod";
import { templated } from "../template-schema.js";

/** The longest wait: one day (a `{{reference}}` is held to it when the task starts). */
export const WAIT_MAX_MS = 86_400_000;

/** `wait` config: exactly one of `seconds` or `ms`. */
export const WaitConfig = z
  .strictObject({
    seconds: templated(
      z
        .number()
        .nonnegative()
        .max(WAIT_MAX_MS / 1000),
    ).optional(),
    ms: templated(z.number().nonnegative().max(WAIT_MAX_MS)).optional(),
  })
  .superRefine((cfg, ctx) => {
    if ((cfg.seconds === undefined) === (cfg.ms === undefined)) {
      ctx.addIssue({ code: "custom", path: [], message: "give exactly one of seconds or ms" });
    }
  });
export type WaitConfig = z.infer<typeof WaitConfig>;

export interface WaitResult {
  waited_ms: number;
}
