import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../../fixtures/counting-server.js";

// langgraph.json's graph served by the LangGraph Agent Server (the in-memory server of `langgraph dev`),
// driven through the official SDK as any client would.
const REPO = path.resolve(import.meta.dirname, "../../..");
let server: ChildProcess;
let client: Client;
let workspace: string;
let api: CountingServer;
let cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const ws = await makeTempDir("wf-sdk-ws-");
  const storage = await makeTempDir("wf-sdk-api-");
  cleanups = [ws.cleanup, storage.cleanup];
  workspace = ws.dir;
  api = await startCountingServer(() => 0);
  server = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "test/fixtures/agent-server.ts"), storage.dir], {
    cwd: REPO,
    // The server's own policy: no host is trusted (not even the loopback test API), SQL stays read-only.
    env: { ...process.env, WORKSPACE: workspace, ALLOW_HOSTS: "", LANGSMITH_TRACING: "false", LANGCHAIN_TRACING_V2: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  server.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lines = createInterface({ input: server.stdout as NodeJS.ReadableStream });
  // The server logs to stdout too; the fixture's one JSON line says where it listens.
  const listening = new Promise<{ url: string }>((resolve) =>
    lines.on("line", (line) => {
      if (line.startsWith('{"url":')) resolve(JSON.parse(line) as { url: string });
    }),
  );
  const first = await Promise.race([
    listening,
    once(server, "exit").then(([code]) => {
      throw new Error(`the Agent Server exited (${code}) before listening: ${stderr}`);
    }),
  ]);
  client = new Client({ apiUrl: first.url });
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await once(server, "exit");
  }
  await api?.close();
  for (const c of cleanups) await c();
});

const writePlan = (letter: string, ms = 200) => ({
  tasks: [
    { id: "produce", action_type: "transform_data", action_config: { input: { letter }, expression: "letter" } },
    { id: "pause", action_type: "wait", action_config: { ms }, dependencies: ["produce"] },
    {
      id: "save",
      action_type: "file_operation",
      action_config: { operation: "write", path: `sdk-${letter}.txt`, content: "{{produce.data}}" },
      dependencies: ["pause"],
    },
  ],
});

interface FinalState {
  context: { workflow_id: string; status: string; planner?: string };
  safety?: { allowWrites: boolean; trustedHosts: string[] };
  tasks: Record<string, { status: string; result?: { data?: unknown }; error?: { code: string; message: string } }>;
}

async function runOn(input: Record<string, unknown>): Promise<{ thread: string; final: FinalState }> {
  const { thread_id } = await client.threads.create();
  const final = (await client.runs.wait(thread_id, "workflow", { input })) as unknown as FinalState;
  return { thread: thread_id, final };
}

describe("the Agent Server graph through @langchain/langgraph-sdk", () => {
  it("answers the assistant's schemas: the input a client may send, read from the graph's zod schema", async () => {
    const [assistant] = await client.assistants.search({ graphId: "workflow" });
    expect(assistant).toBeDefined();
    const schemas = await client.assistants.getSchemas(assistant?.assistant_id as string);
    const input = schemas.input_schema as { properties: Record<string, { properties?: Record<string, unknown> }> };
    expect(Object.keys(input.properties).sort()).toEqual(["context", "memory", "workflow_plan"]);
    expect(Object.keys(input.properties.context?.properties ?? {})).toEqual(expect.arrayContaining(["workflow_id", "goal", "concurrency"]));
    expect(input.properties.context?.properties).not.toHaveProperty("safety");
  });

  it("runs a goal given in the documented shape, planned by the server's planner", async () => {
    const { final } = await runOn({ context: { workflow_id: "sdk-goal", goal: "Create output/sdk-hello.txt with 'Hello SDK'" } });
    expect(final.context.status).toBe("completed");
    expect(final.context.planner).toBe("rules");
    expect(readFileSync(path.join(workspace, "output", "sdk-hello.txt"), "utf8")).toBe("Hello SDK");
  });

  it("runs a plan given as input", async () => {
    const { final } = await runOn({ context: { workflow_id: "sdk-plan" }, workflow_plan: writePlan("P", 10) });
    expect(final.context.status).toBe("completed");
    expect(final.tasks.save?.status).toBe("completed");
    expect(readFileSync(path.join(workspace, "sdk-P.txt"), "utf8")).toBe("P");
  });

  it("two concurrent threads with the same workflow_id each get their own results", async () => {
    const [a, b] = await Promise.all([
      runOn({ context: { workflow_id: "shared-id" }, workflow_plan: writePlan("A") }),
      runOn({ context: { workflow_id: "shared-id" }, workflow_plan: writePlan("B") }),
    ]);
    expect(a.thread).not.toBe(b.thread);
    expect([a.final.context.status, b.final.context.status]).toEqual(["completed", "completed"]);
    expect(a.final.tasks.produce?.result?.data).toBe("A");
    expect(b.final.tasks.produce?.result?.data).toBe("B");
    expect(readFileSync(path.join(workspace, "sdk-A.txt"), "utf8")).toBe("A");
    expect(readFileSync(path.join(workspace, "sdk-B.txt"), "utf8")).toBe("B");
    // Each thread's state on the server holds its own run.
    const stateA = (await client.threads.getState(a.thread)).values as unknown as FinalState;
    expect(stateA.tasks.produce?.result?.data).toBe("A");
  });

  it("ignores a hostile context.safety: the server's policy refuses the untrusted host and SQL writes stay off", async () => {
    const hostile = { trustedHosts: ["*", "127.0.0.1"], allowWrites: true, approve: "auto", author: "user", limits: {} };
    const plan = {
      tasks: [{ id: "peek", action_type: "api_call", action_config: { url: `${api.url}/admin`, method: "GET" }, on_failure: "skip" }],
    };
    const { final } = await runOn({ context: { workflow_id: "sdk-hostile", safety: hostile }, workflow_plan: plan });
    expect(final.safety?.allowWrites).toBe(false);
    expect(final.safety?.trustedHosts).not.toContain("*");
    expect(final.tasks.peek?.error?.code).toBe("NETWORK_REFUSED");
    expect(api.hits("/admin")).toBe(0);
  });

  it("refuses an invalid plan with PLAN_INVALID, naming the bad value; nothing runs", async () => {
    const bad = { tasks: [{ id: "x", action_type: "shell_exec", action_config: {} }] };
    const { thread_id } = await client.threads.create();
    // runs.wait raises the run's error, as the server serialised it: {"error": <name>, "message": ...}.
    const refused = await client.runs
      .wait(thread_id, "workflow", { input: { context: { workflow_id: "sdk-bad" }, workflow_plan: bad } })
      .then(
        () => undefined,
        (err: Error) => JSON.parse(err.message.replace(/^Error: /, "")) as { error: string; message: string },
      );
    expect(refused?.error).toBe("PLAN_INVALID");
    expect(refused?.message).toContain('tasks[0].action_type: "shell_exec" is not one of');
    const state = (await client.threads.getState(thread_id)).values as unknown as Partial<FinalState>;
    expect(Object.keys(state.tasks ?? {})).toEqual([]);
  });

  it("streams the run's task events on the custom stream mode", async () => {
    const { thread_id } = await client.threads.create();
    const seen: string[] = [];
    for await (const chunk of client.runs.stream(thread_id, "workflow", {
      input: { context: { workflow_id: "sdk-stream" }, workflow_plan: writePlan("S", 10) },
      streamMode: "custom",
    })) {
      if (chunk.event === "custom") {
        const e = chunk.data as { type: string; task_id?: string };
        seen.push(`${e.type}:${e.task_id ?? ""}`);
      }
    }
    expect(seen).toEqual(expect.arrayContaining(["plan_ready:", "task_started:produce", "task_completed:produce", "task_completed:save"]));
  });
});
