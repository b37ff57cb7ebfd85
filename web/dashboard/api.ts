// The dashboard's only way to the server: JSON over fetch, and the run's events over EventSource.
import { fetchEvents } from "./fetch-events.js";
import type { WorkflowEvent, WorkflowEventType } from "./types.js";

/** An answer other than 2xx, with the API's `{error: {code, message}}` when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const TOKEN_KEY = "workflow-engine-token";

/**
 * A server bound beyond loopback asks for a bearer token. It is kept for the tab only and sent in a header,
 * never a cookie, so another site cannot make the browser act with it (CSRF).
 */
export function setToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(body: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: "application/json" };
  if (body) h["content-type"] = "application/json";
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) h.authorization = `Bearer ${token}`;
  return h;
}

/** Calls the API; a non-2xx answer throws an ApiError carrying the server's code and message. */
export async function api<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: headers(body !== undefined),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new ApiError(0, "NETWORK", `The server did not answer (${(error as Error).message}).`);
  }
  const text = await response.text();
  const json = text ? parseJson(text) : undefined;
  if (!response.ok) {
    const e = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof e?.code === "string" ? e.code : `HTTP_${response.status}`;
    const message = typeof e?.message === "string" ? e.message : response.statusText || text.slice(0, 200);
    throw new ApiError(response.status, code, message);
  }
  return json as T;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `/runs/<id>` with the id escaped. */
export function runPath(runId: string, suffix = ""): string {
  return `/runs/${encodeURIComponent(runId)}${suffix}`;
}

// A mapped type: an event type added to the engine and not listened for here fails to compile.
const EVENT_TYPES: Record<WorkflowEventType, true> = {
  run_started: true,
  plan_ready: true,
  task_started: true,
  task_completed: true,
  task_failed: true,
  task_retry: true,
  task_modified: true,
  task_skipped: true,
  run_completed: true,
  approval_requested: true,
  rollback_started: true,
};

/**
 * Follows a run's events (`GET /runs/:id/events`). EventSource reconnects by itself and resends the last
 * event id, so the server resumes where the stream broke. The stream is closed after `run_completed`
 * (else EventSource would reconnect to a finished run forever) or when the server refuses it. With a token,
 * the same over fetch (EventSource cannot send a header).
 */
export function followRun(runId: string, onEvent: (event: WorkflowEvent) => void, onClosed: () => void): () => void {
  const path = runPath(runId, "/events");
  // False once the run has ended: the stream is done.
  const deliver = (data: string): boolean => {
    const event = parseJson(data) as WorkflowEvent | undefined;
    if (!event || typeof event.type !== "string") return true;
    onEvent(event);
    return event.type !== "run_completed";
  };
  if (sessionStorage.getItem(TOKEN_KEY)) {
    return fetchEvents(path, headers(false), (m) => !(m.type in EVENT_TYPES || m.type === "message") || deliver(m.data), onClosed);
  }
  const source = new EventSource(path);
  const handle = (message: MessageEvent<string>) => {
    if (deliver(message.data)) return;
    source.close();
    onClosed();
  };
  for (const type of Object.keys(EVENT_TYPES)) source.addEventListener(type, handle);
  source.addEventListener("message", handle);
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) onClosed();
  });
  return () => source.close();
}
