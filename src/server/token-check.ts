import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { ErrorCode, WorkflowError } from "../model/errors.js";

/** What anyone may read without the token: liveness, and the dashboard's page and assets (it asks for the token). */
const PUBLIC = [/^\/healthz$/, /^\/$/, /^\/index\.html$/, /^\/assets\//, /^\/favicon\.ico$/];

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
    // Only in a header: a token in a URL ends up in proxies' and browsers' histories.
    const given = typeof header === "string" && header.startsWith("Bearer ") ? header.slice(7) : undefined;
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      throw new WorkflowError(
        ErrorCode.Unauthorized,
        given === undefined ? "This server wants its token: send Authorization: Bearer <SERVER_TOKEN>." : "The token is not this server's.",
      );
    }
  };
}
