import { ErrorCode, WorkflowError } from "../model/errors.js";

/**
 * The subcommand `argv` starts with (`schedules add ...`, `workflows list`): without one the usage goes to stderr
 * (exit 2), with help to stdout (exit 0), and an unknown one is CONFIG_INVALID naming the commands.
 */
export function pickSubcommand<S extends string>(
  argv: readonly string[],
  command: string,
  subcommands: readonly S[],
  usage: string,
  io: { out(text: string): void; err(text: string): void },
): S | { exit: number } {
  const sub = argv[0];
  if (sub === undefined || sub === "--help" || sub === "help") {
    (sub === undefined ? io.err : io.out)(usage);
    return { exit: sub === undefined ? 2 : 0 };
  }
  if (!(subcommands as readonly string[]).includes(sub)) {
    throw new WorkflowError(ErrorCode.ConfigInvalid, `Unknown ${command} command "${sub}". Commands: ${subcommands.join(", ")}.`);
  }
  return sub as S;
}
