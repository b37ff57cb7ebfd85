import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { ErrorCode, WorkflowError } from "../model/errors.js";

/** What anyone may read without the token: liveness, and the dashboard's page and assets (it asks for the token). */
const PUBLIC = [/^\/healthz$/, /^\/$/, /^\/index\.html$/, /^\/assets\//, /^\/favicon\.ico$/];
/** EventSource cannot send headers: the events route also takes the token as `?access_token=`. */
const QUERY_TOKEN_ROUTE = /^\/runs\/[^/]+\/events$/;

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * The check of a server started with a token (SERVER_TOKEN): every other request must carry
 * `Authorization: Bearer <token>`; compared in constant time (over digests, so the length leaks nothing).
 */
export function tokenCheck(token: string) {
  const expected = digest(token);
  return async (req: FastifyRequest): Promise<void> => {
    const path = req.url.split("?")[0] ?? "";
    if (PUBLIC.some((p) => p.test(path))) return;
    const header = req.headers.authorization;
    let given = typeof header === "string" && header.startsWith("Bearer ") ? header.slice(7) : undefined;
    if (given === undefined && QUERY_TOKEN_ROUTE.test(path)) {
      const query = req.query as Record<string, unknown> | undefined;
      if (typeof query?.access_token === "string") given = query.access_token;
    }
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      throw new WorkflowError(
        ErrorCode.Unauthorized,
        given === undefined ? "This server wants its token: send Authorization: Bearer <SERVER_TOKEN>." : "The token is not this server's.",
      );
    }
  };
}
