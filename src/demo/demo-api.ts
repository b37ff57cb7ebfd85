import { DEMO_CREDENTIALS } from "../../workflows/demo-credentials.js";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small JSON API for the prebuilt examples (`--example NAME`), so they run offline: products, a login that
 * hands out bearer tokens, customers and orders behind that token, and background jobs whose status moves
 * queued → running → done as they are polled (by poll count, not time, so runs are deterministic).
 */
export interface DemoApi {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Stop listening and drop open connections; resolves once the server is closed. */
  close(): Promise<void>;
}

export interface DemoApiOptions {
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
}

/** Polls of `GET /jobs/:id` that answer "queued", then "running"; the next one answers "done" (or "failed"). */
const JOB_QUEUED_POLLS = 1;
const JOB_RUNNING_POLLS = 2;

/** A dozen products; one name holds a comma and quotes, so CSV output has something to quote. */
export const DEMO_PRODUCTS = Object.freeze([
  { id: 1, name: "Trail running shoes", price: 129.9, category: "sports", in_stock: true },
  { id: 2, name: "Yoga mat", price: 24.5, category: "sports", in_stock: true },
  { id: 3, name: "Espresso machine", price: 349, category: "kitchen", in_stock: false },
  { id: 4, name: "Chef's knife", price: 89, category: "kitchen", in_stock: true },
  { id: 5, name: "Cast iron pan", price: 45.75, category: "kitchen", in_stock: true },
  { id: 6, name: "Desk lamp", price: 39.99, category: "office", in_stock: true },
  { id: 7, name: 'Notebook, A5 "dotted"', price: 12.5, category: "office", in_stock: true },
  { id: 8, name: "Ergonomic chair", price: 289, category: "office", in_stock: false },
  { id: 9, name: "Noise-cancelling headphones", price: 199, category: "electronics", in_stock: true },
  { id: 10, name: "USB-C hub", price: 34.9, category: "electronics", in_stock: true },
  { id: 11, name: "E-reader", price: 139, category: "electronics", in_stock: false },
  { id: 12, name: "Water bottle", price: 18, category: "sports", in_stock: true },
]);

export const DEMO_CUSTOMERS = Object.freeze([
  { id: 1, name: "Ada Lovelace", email: "ada@example.com", city: "London" },
  { id: 2, name: "Grace Hopper", email: "grace@example.com", city: "New York" },
  { id: 3, name: "Alan Turing", email: "alan@example.com", city: "Manchester" },
]);

export const DEMO_ORDERS = Object.freeze([
  { id: 101, customer_id: 1, product_id: 9, quantity: 1, total: 199 },
  { id: 102, customer_id: 2, product_id: 2, quantity: 2, total: 49 },
  { id: 103, customer_id: 1, product_id: 7, quantity: 5, total: 62.5 },
  { id: 104, customer_id: 3, product_id: 4, quantity: 1, total: 89 },
  { id: 105, customer_id: 2, product_id: 10, quantity: 1, total: 34.9 },
]);

const MAX_BODY_BYTES = 1024 * 1024;
const JOB_TYPES = ["inventory_report"] as const;

interface Job {
  id: string;
  type: string;
  config: Record<string, unknown>;
  polls: number;
}

/** What a route answers; the server writes it as JSON. */
interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Everything one server instance knows; nothing is shared between instances. */
interface DemoState {
  tokens: Set<string>;
  jobs: Map<string, Job>;
  /** Idempotency-Key → job id: a retried `POST /jobs` gets the job it already created. */
  jobKeys: Map<string, string>;
}

interface Request {
  method: string;
  segments: string[];
  headers: IncomingMessage["headers"];
  body: unknown;
  state: DemoState;
}

/** Start the demo API (node:http) on 127.0.0.1 with an ephemeral port unless told otherwise. */
export async function startDemoApi(options: DemoApiOptions = {}): Promise<DemoApi> {
  const state: DemoState = { tokens: new Set(), jobs: new Map(), jobKeys: new Map() };
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        const path = new URL(req.url ?? "/", "http://demo.local").pathname;
        const segments = path.split("/").filter(Boolean).map(decodeURIComponent);
        send(res, route({ method: req.method ?? "GET", segments, headers: req.headers, body, state }));
      })
      .catch((err: unknown) => send(res, { status: 400, body: { error: err instanceof Error ? err.message : String(err) } }));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const fail = (status: number, error: string, headers?: Record<string, string>): Reply => ({
  status,
  body: { error },
  ...(headers ? { headers } : {}),
});

/** Exact routes; `/jobs/:id` and `/jobs/:id/result` are matched in `route`. */
const ROUTES: Record<string, (r: Request) => Reply> = {
  "GET /": () => ok({ routes: [...Object.keys(ROUTES).filter((k) => k !== "GET /"), "GET /jobs/:id", "GET /jobs/:id/result"] }),
  "GET /products": () => ok(DEMO_PRODUCTS),
  "POST /auth/login": login,
  "GET /customers": (r) => unauthorized(r) ?? ok(DEMO_CUSTOMERS),
  "GET /orders": (r) => unauthorized(r) ?? ok(DEMO_ORDERS),
  "POST /jobs": submitJob,
};

function route(r: Request): Reply {
  const exact = ROUTES[`${r.method} /${r.segments.join("/")}`];
  if (exact) return exact(r);
  const [head, id, sub, ...rest] = r.segments;
  if (r.method === "GET" && head === "jobs" && id !== undefined && rest.length === 0) {
    if (sub === undefined) return jobStatus(r, id);
    if (sub === "result") return jobResult(r, id);
  }
  return fail(404, `no route ${r.method} /${r.segments.join("/")}; GET / lists the routes`);
}

function login(r: Request): Reply {
  const body = (r.body ?? {}) as { username?: unknown; password?: unknown };
  if (body.username !== DEMO_CREDENTIALS.username || body.password !== DEMO_CREDENTIALS.password) {
    return fail(401, `wrong username or password (the demo accepts ${JSON.stringify(DEMO_CREDENTIALS)})`);
  }
  const token = `demo-${randomBytes(12).toString("hex")}`;
  r.state.tokens.add(token);
  return ok({ token, token_type: "Bearer", expires_in: 3600 });
}

/** A 401 reply unless the request has a valid `Authorization: Bearer <token>`. */
function unauthorized(r: Request): Reply | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(r.headers.authorization ?? "")?.[1];
  if (token !== undefined && r.state.tokens.has(token)) return undefined;
  return fail(401, "missing or invalid token: send Authorization: Bearer <token> from POST /auth/login", { "WWW-Authenticate": "Bearer" });
}

function submitJob(r: Request): Reply {
  const config = r.body;
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    return fail(400, 'the body must be a JSON object, e.g. {"type": "inventory_report"}');
  }
  const type = String((config as { type?: unknown }).type ?? JOB_TYPES[0]);
  if (!(JOB_TYPES as readonly string[]).includes(type)) return fail(400, `unknown job type "${type}"; known: ${JOB_TYPES.join(", ")}`);
  const key = r.headers["idempotency-key"];
  const known = typeof key === "string" ? r.state.jobs.get(r.state.jobKeys.get(key) ?? "") : undefined;
  const job = known ?? { id: `job-${r.state.jobs.size + 1}`, type, config: config as Record<string, unknown>, polls: 0 };
  r.state.jobs.set(job.id, job);
  if (typeof key === "string") r.state.jobKeys.set(key, job.id);
  return { status: 202, body: { id: job.id, type: job.type, status: "queued" }, headers: { Location: `/jobs/${job.id}` } };
}

/** Each poll moves the job on: queued, then running, then done (or failed when its config says `fail: true`). */
function jobStatus(r: Request, id: string): Reply {
  const job = r.state.jobs.get(id);
  if (!job) return fail(404, `no job ${id}`);
  job.polls += 1;
  const status = statusOf(job);
  const progress =
    status === "queued" ? 0 : status === "running" ? Math.round((100 * (job.polls - JOB_QUEUED_POLLS)) / (JOB_RUNNING_POLLS + 1)) : 100;
  const error = status === "failed" ? { error: "the job was asked to fail (fail: true)" } : {};
  return ok({ id, type: job.type, status, progress, polls: job.polls, ...error });
}

function statusOf(job: Job): "queued" | "running" | "done" | "failed" {
  if (job.polls <= JOB_QUEUED_POLLS) return "queued";
  if (job.polls <= JOB_QUEUED_POLLS + JOB_RUNNING_POLLS) return "running";
  return job.config.fail === true ? "failed" : "done";
}

function jobResult(r: Request, id: string): Reply {
  const job = r.state.jobs.get(id);
  if (!job) return fail(404, `no job ${id}`);
  const status = statusOf(job);
  if (status !== "done") return fail(409, `job ${id} is ${status}; its result exists once GET /jobs/${id} says done`);
  return ok({ job_id: id, type: job.type, report: inventoryReport() });
}

/** Per category: how many products, how many in stock, and their average price. */
function inventoryReport(): { categories: unknown[]; totals: { products: number; in_stock: number } } {
  const categories = [...new Set(DEMO_PRODUCTS.map((p) => p.category))].sort().map((category) => {
    const items = DEMO_PRODUCTS.filter((p) => p.category === category);
    const average = items.reduce((sum, p) => sum + p.price, 0) / items.length;
    return {
      category,
      products: items.length,
      in_stock: items.filter((p) => p.in_stock).length,
      average_price: Math.round(average * 100) / 100,
    };
  });
  return { categories, totals: { products: DEMO_PRODUCTS.length, in_stock: DEMO_PRODUCTS.filter((p) => p.in_stock).length } };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("the request body is larger than 1 MB");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error("the request body is not valid JSON");
  }
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...reply.headers });
  res.end(text);
}
