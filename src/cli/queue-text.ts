import type { QueueMetrics } from "../model/executor.js";

/** The task queues as `runs show` prints them: one line per action type's queue. */
export function formatQueues(queues: readonly QueueMetrics[]): string {
  const lines = queues.map(
    (q) =>
      `  ${q.actionType.padEnd(15)} waiting ${String(q.waiting).padStart(5)}  active ${String(q.active).padStart(4)}  ` +
      `delayed ${String(q.delayed).padStart(4)}  failed ${String(q.failed).padStart(4)}  workers ${q.workers}`,
  );
  return `Task queues (now):\n${lines.join("\n")}`;
}
