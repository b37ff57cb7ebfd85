import { z } from "zod";
import { templated } from "../template-schema.js";

/** `wait` config: exactly one of `seconds` or `ms`. */
export const WaitConfig = z
  .strictObject({
    seconds: templated(z.number().nonnegative().max(86_400)).optional(),
    ms: templated(z.number().nonnegative().max(86_400_000)).optional(),
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
