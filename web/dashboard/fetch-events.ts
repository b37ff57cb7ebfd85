// Server-Sent Events over fetch, for a server that wants a bearer token: EventSource cannot send a header, and
// the token must not travel in a URL (logs) or a cookie (CSRF). Does what EventSource does for the dashboard:
// named events, and a reconnect that resends the last event id.

const RECONNECT_MS = 2000;

export interface SseMessage {
  type: string;
  data: string;
}

/** Parses the complete events at the head of `buffer`; returns them and the unparsed rest. */
export function parseEvents(buffer: string): { events: (SseMessage & { id?: string })[]; rest: string } {
  const events: (SseMessage & { id?: string })[] = [];
  const blocks = buffer.replace(/\r\n?/g, "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let type = "message";
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
    }
    if (data.length) events.push({ type, data: data.join("\n"), ...(id === undefined ? {} : { id }) });
  }
  return { events, rest };
}

/**
 * Follows `path` with these headers until `stop()`; `onMessage` returns false to stop. A refusal (not 2xx)
 * ends it with `onClosed`; a dropped stream is reopened from the last event id.
 */
export function fetchEvents(
  path: string,
  headers: Record<string, string>,
  onMessage: (message: SseMessage) => boolean,
  onClosed: () => void,
): () => void {
  const controller = new AbortController();
  let lastId: string | undefined;
  const connect = async (): Promise<void> => {
    const response = await fetch(path, {
      headers: { ...headers, accept: "text/event-stream", ...(lastId === undefined ? {} : { "last-event-id": lastId }) },
      signal: controller.signal,
    });
    if (!response.ok || !response.body) {
      controller.abort();
      onClosed();
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const parsed = parseEvents(buffer + value);
      buffer = parsed.rest;
      for (const event of parsed.events) {
        if (event.id !== undefined) lastId = event.id;
        if (!onMessage(event)) {
          controller.abort();
          onClosed();
          return;
        }
      }
    }
    throw new Error("the stream ended");
  };
  const loop = () => {
    connect().catch(() => {
      if (!controller.signal.aborted) setTimeout(loop, RECONNECT_MS);
    });
  };
  loop();
  return () => controller.abort();
}
