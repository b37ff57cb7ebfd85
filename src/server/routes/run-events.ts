import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { runEvents } from "../run-events.js";
import { EventsQuery, RunParams } from "../run-input.js";
import type { ServerDeps } from "../server-deps.js";

/** A comment line every so often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/**
 * GET /runs/:id/events: Server-Sent Events, live. Each event carries its id; a client that reconnects with
 * Last-Event-ID (EventSource does) gets the events after it, none lost and none twice. Ends after
 * run_completed.
 */
export async function runEventRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/runs/:id/events",
    { schema: { params: RunParams, querystring: EventsQuery, tags: ["runs"], summary: "A run's live events (text/event-stream)" } },
    async (req, reply) => {
      const header = req.headers["last-event-id"];
      const after = (typeof header === "string" && header !== "" ? header : undefined) ?? req.query.after;
      const stop = new AbortController();
      // Errors before the first byte (no such run, a bad id) are answered as JSON like any other.
      const found = await runEvents(deps.engine, deps.events, req.params.id, after, stop.signal);
      // An ended run the client has every event of: 204 tells EventSource to stop reconnecting.
      if ("ended" in found && found.ended.length === 0) return reply.status(204).send();
      const events = "live" in found ? found.live : listed(found.ended);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.write("retry: 2000\n\n");
      const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
      const onClose = () => stop.abort("the client went away");
      req.raw.on("close", onClose);
      try {
        for await (const { id, event } of events) {
          res.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(deps.engine.secrets.scrub(event))}\n\n`);
        }
      } catch (err) {
        if (!stop.signal.aborted) {
          const message = err instanceof Error ? err.message : String(err);
          res.write(`event: error\ndata: ${JSON.stringify({ error: { code: "EVENTS_INTERRUPTED", message } })}\n\n`);
        }
      } finally {
        clearInterval(heartbeat);
        req.raw.off("close", onClose);
        stop.abort("done");
        res.end();
      }
    },
  );
}

async function* listed<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
