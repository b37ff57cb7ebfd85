import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small OpenAI-protocol stand-in for the planning bench: POST /v1/chat/completions answers, after a
 * simulated latency, with a tool call of the function the client asked for (here "plan") whose arguments
 * come from `planFor(request)`. Token usage is estimated as characters ÷ 4 of the request and of the answer.
 */
export interface BenchLlm {
  url: string;
  calls: number;
  close(): Promise<void>;
}

export async function startBenchLlm(latencyMs: number, planFor: (goal: string) => unknown): Promise<BenchLlm> {
  const state = { calls: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (req.method !== "POST" || !(req.url ?? "").endsWith("/chat/completions")) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "no route" } }));
        return;
      }
      state.calls += 1;
      const body = JSON.parse(text) as {
        model: string;
        messages: { role: string; content: unknown }[];
        tool_choice?: { function?: { name?: string } };
        tools?: { function: { name: string } }[];
      };
      const name = body.tool_choice?.function?.name ?? body.tools?.[0]?.function.name ?? "plan";
      const user = body.messages
        .filter((m) => m.role === "user")
        .map((m) => String(m.content))
        .join("\n");
      const args = JSON.stringify(planFor(user));
      const usage = { prompt_tokens: Math.ceil(text.length / 4), completion_tokens: Math.ceil(args.length / 4) };
      const reply = {
        id: `chatcmpl-bench-${state.calls}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: null,
              tool_calls: [{ id: `call_${state.calls}`, type: "function", function: { name, arguments: args } }],
            },
            finish_reason: "tool_calls",
            logprobs: null,
          },
        ],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      };
      setTimeout(() => {
        const out = JSON.stringify(reply);
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) }).end(out);
      }, latencyMs);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get calls() {
      return state.calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
