import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { ErrorCode, WorkflowError } from "../../model/errors.js";

/**
 * The dashboard loads its own script and stylesheet and talks to this origin only; nothing inline runs, so
 * text from a run that slipped into the page as markup could still not execute.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * dist/web of this package. The module runs from dist/src/server/routes (tsc), dist/cli or dist/cli/chunks
 * (the CLI bundle) or src/server/routes (tsx): the package root, found by its package.json, is the common point.
 */
function dashboardDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "agentic-workflow-engine") {
      const web = path.join(dir, "dist/web");
      return existsSync(path.join(web, "index.html")) ? web : undefined;
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export interface DashboardOptions {
  /** The built dashboard (index.html and assets/); default: this package's dist/web. */
  root?: string;
}

/** GET / (the dashboard's page, never cached) and /assets/* (hashed names, cached for good). */
export async function dashboardRoutes(app: FastifyInstance, options: DashboardOptions = {}): Promise<void> {
  const root = options.root ?? dashboardDir();
  if (!root) {
    app.get("/", async () => {
      throw new WorkflowError(
        ErrorCode.NotFound,
        "The dashboard is not built: run `npm run build` (or `npm install`) in the package folder.",
      );
    });
    return;
  }
  // Read once: the page is small, and a rebuild changes the asset names it holds, which needs a restart anyway.
  const page = readFileSync(path.join(root, "index.html"), "utf8");
  app.get("/", async (_request, reply) =>
    reply
      .headers({ ...SECURITY_HEADERS, "cache-control": "no-cache" })
      .type("text/html; charset=utf-8")
      .send(page),
  );
  await app.register(fastifyStatic, {
    root: path.join(root, "assets"),
    prefix: "/assets/",
    decorateReply: false,
    index: false,
    // Every asset's name carries a hash of its content (scripts/bundle-web.mjs): a new build is a new name.
    immutable: true,
    maxAge: "365d",
    setHeaders: (res) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    },
  });
}
