import { describe, expect, it } from "vitest";
import { type CliOptions, parseArgs, safetyFromOptions } from "../../../src/cli/args.js";
import { Limits } from "../../../src/model/safety-policy.js";

async function options(...flags: string[]): Promise<CliOptions> {
  const parsed = await parseArgs(["--goal", "wait 1 second", ...flags]);
  if (parsed === "help") throw new Error("unexpected --help");
  return parsed;
}

describe("limit flags are held to the Limits schema's ranges", () => {
  it.each([
    ["--run-deadline", "99999999", "must be a number greater than 0 and at most 2592000"],
    ["--task-timeout", "0", "must be a number greater than 0 and at most 604800"],
    ["--max-response-bytes", "629145600", "must be a whole number from 1 to 536870912"],
    ["--max-result-bytes", "0", "must be a whole number from 1 to 536870912"],
    ["--max-tasks", "1.5", "must be a whole number from 1 to 10000"],
    ["--transform-timeout", "-1", "must be a number greater than 0 and at most 86400"],
  ])("%s %s is refused naming the flag, the value and the range", async (flag, value, why) => {
    await expect(options(flag, value)).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining(`${flag} ${value}: ${why}`),
    });
  });

  it("a value that is not a number is refused naming the flag", async () => {
    await expect(options("--max-rows", "lots")).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining("--max-rows takes a number"),
    });
  });

  it("values in range become limits, the new ones included", async () => {
    const o = await options(
      "--run-deadline",
      "2500000",
      "--max-result-bytes",
      "1048576",
      "--transform-timeout",
      "5",
      "--max-transform-bytes",
      "67108864",
    );
    const { limits } = safetyFromOptions(o);
    expect(limits).toEqual({
      runDeadlineSeconds: 2_500_000,
      maxResultBytes: 1_048_576,
      transformTimeoutSeconds: 5,
      maxTransformBytes: 67_108_864,
    });
    expect(Limits.parse(limits)).toMatchObject({ maxResultBytes: 1_048_576, maxRows: 10_000 });
  });
});
