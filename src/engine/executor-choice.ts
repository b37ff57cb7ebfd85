import type { Logger } from "../../utils/logger.js";
import { InProcessExecutor } from "../executor/in-process-executor.js";
import { RoutedExecutor } from "../executor/routed-executor.js";
import { type AttemptEnvironment, createAttemptRunner } from "../executor/run-attempt.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { Executor, ExecutorKind } from "../model/executor.js";

export interface ExecutorChoice {
  kind: ExecutorKind;
  redisUrl: string | undefined;
  redisPrefix: string | undefined;
  keepFinishedSeconds: number | undefined;
  logger: Logger;
  /** What an in-process attempt runs with. */
  attempts: AttemptEnvironment;
}

/** Refuse, when the engine is made, a queue executor without Redis: the message says what to set. */
export function checkExecutorChoice(kind: ExecutorKind, redisUrl: string | undefined): void {
  if (kind === "queue" && !redisUrl) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      "executor: queue runs tasks on queue workers through Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379), or use executor: in-process.",
    );
  }
}

/**
 * The executor the settings choose. The queue executor's module (BullMQ) loads only when it is chosen, so an
 * engine that runs tasks in process never loads it.
 */
export async function createExecutor(choice: ExecutorChoice): Promise<Executor> {
  const local = new InProcessExecutor(createAttemptRunner(choice.attempts));
  if (choice.kind === "in-process") return local;
  checkExecutorChoice(choice.kind, choice.redisUrl);
  const { QueueExecutor } = await import("../queue/queue-executor.js");
  // A `workflow` task's child run is driven by this engine: it stays here, the other tasks go to the workers.
  return new RoutedExecutor(
    local,
    new Set(["workflow"]),
    new QueueExecutor(
      {
        redisUrl: choice.redisUrl ?? "",
        ...(choice.redisPrefix ? { keyPrefix: choice.redisPrefix } : {}),
        ...(choice.keepFinishedSeconds ? { keepFinishedSeconds: choice.keepFinishedSeconds } : {}),
      },
      choice.logger,
    ),
  );
}
