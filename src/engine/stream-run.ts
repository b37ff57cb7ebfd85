import type { EventListener, WorkflowEvent } from "../model/events.js";
import type { WorkflowResult } from "./result.js";

/** Turn a run that reports events through a listener into an async generator of those events. */
export async function* streamRun(
  start: (onEvent: EventListener) => Promise<WorkflowResult>,
): AsyncGenerator<WorkflowEvent, WorkflowResult> {
  const queue: WorkflowEvent[] = [];
  let wake: (() => void) | undefined;
  let settled = false;
  const run = start((event) => {
    queue.push(event);
    wake?.();
  }).finally(() => {
    settled = true;
    wake?.();
  });
  run.catch(() => undefined); // rethrown below, after the queued events
  while (true) {
    const event = queue.shift();
    if (event) {
      yield event;
      continue;
    }
    if (settled) return await run;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = undefined;
  }
}
