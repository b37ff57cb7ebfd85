/**
 * While a run is driven, Ctrl-C (SIGINT) says how to continue it and ends the process at once with 130,
 * as a crash would: the last checkpoint stays, and `runs resume` repeats at most the tasks in flight.
 * Returns the function that removes the handler.
 */
export function onInterrupt(say: () => void): () => void {
  const handler = () => {
    say();
    process.exit(130);
  };
  process.once("SIGINT", handler);
  return () => {
    process.removeListener("SIGINT", handler);
  };
}
