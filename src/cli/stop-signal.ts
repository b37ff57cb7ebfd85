/**
 * Wait for SIGTERM or SIGINT and return it. From then on a second one ends the process at once (exit 130), as a
 * crash would: what the graceful stop was waiting for is picked up elsewhere (runs resume; jobs are found stalled).
 */
export async function firstStopSignal(): Promise<NodeJS.Signals> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  const force = () => process.exit(130);
  process.once("SIGTERM", force);
  process.once("SIGINT", force);
  return signal;
}
