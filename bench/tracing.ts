import { trace } from "@opentelemetry/api";
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";
import type { WorkflowEngine } from "../src/engine/workflow-engine.js";
import { OtelTelemetry } from "../src/telemetry/otel-telemetry.js";
import { atMost, benchEngine, info, round, type SummaryRow, timeRun, zeroWorkPlan } from "./common.js";

/** Section 10: what tracing costs per zero-work task: off (the default), the API without an SDK, the SDK exporting. */
export interface TracingRow {
  mode: "off" | "api-no-sdk" | "sdk-on";
  tasks: number;
  median_ms: number;
  us_per_task: number;
  vs_off: number;
}

/** An exporter that drops what it is given: the SDK's cost without a collector's. */
class DroppingExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (r: { code: 0 }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/**
 * The same zero-work fan-out on three engines, runs alternating between them (so that drift, GC and a busy
 * neighbour hit all three alike), medians compared: tracing off must cost nothing measurable (its median within
 * the runs' own spread of the others'); the SDK's cost is shown, not bounded.
 */
export async function benchTracing(quick: boolean, log: (s: string) => void): Promise<{ rows: TracingRow[]; summary: SummaryRow[] }> {
  const n = quick ? 300 : 1000;
  const reps = quick ? 5 : 15;
  const exporter = new DroppingExporter();
  const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] });
  const engines: Record<TracingRow["mode"], WorkflowEngine> = {
    off: benchEngine({ concurrency: 1024, persist: "memory", telemetry: false }),
    // OTEL variables set but no SDK registered: the instrumentation runs against the API's no-op tracer.
    "api-no-sdk": benchEngine({ concurrency: 1024, persist: "memory", telemetry: new OtelTelemetry((s) => s, trace.getTracerProvider()) }),
    "sdk-on": benchEngine({ concurrency: 1024, persist: "memory", telemetry: new OtelTelemetry((s) => s, provider) }),
  };
  const times: Record<TracingRow["mode"], number[]> = { off: [], "api-no-sdk": [], "sdk-on": [] };
  try {
    const plan = zeroWorkPlan(n, "fanout");
    for (const e of Object.values(engines)) await timeRun(e, zeroWorkPlan(50, "fanout")); // warm-up
    for (let i = 0; i < reps; i++) {
      // Rotate the order too, so that no mode always runs first after a GC.
      const modes = Object.keys(engines) as TracingRow["mode"][];
      for (const mode of [...modes.slice(i % 3), ...modes.slice(0, i % 3)]) times[mode].push(await timeRun(engines[mode], plan));
    }
    await provider.forceFlush();
  } finally {
    await Promise.all(Object.values(engines).map((e) => e.close()));
    await provider.shutdown();
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const off = med(times.off);
  const rows = (Object.keys(times) as TracingRow["mode"][]).map((mode) => ({
    mode,
    tasks: n,
    median_ms: round(med(times[mode]), 1),
    us_per_task: round((med(times[mode]) / n) * 1000, 1),
    vs_off: round(med(times[mode]) / off, 3),
  }));
  for (const r of rows) log(`  tracing ${r.mode}: ${r.us_per_task} us/task (${r.vs_off}× off)`);
  // Spread of the off runs themselves: what "not measurable" is measured against.
  const sorted = [...times.off].sort((a, b) => a - b);
  const spread = round(((sorted[Math.floor(sorted.length * 0.75)] ?? off) - (sorted[Math.floor(sorted.length * 0.25)] ?? off)) / off, 3);
  const noSdk = rows.find((r) => r.mode === "api-no-sdk");
  const on = rows.find((r) => r.mode === "sdk-on");
  return {
    rows,
    summary: [
      info(
        "10 tracing",
        `off: ${n}-task fan-out, median of ${reps}`,
        `${rows[0]?.us_per_task} us/task (interquartile spread ${round(spread * 100, 1)}%)`,
      ),
      atMost(
        "10 tracing",
        "API without SDK ÷ off (instrumentation called, nothing recorded)",
        noSdk?.vs_off ?? 0,
        1.05,
        `${noSdk?.vs_off}`,
        "≤ 1.05",
      ),
      info("10 tracing", "SDK exporting ÷ off (a span per attempt)", `${on?.vs_off}× (${exporter.spans} spans exported)`),
    ],
  };
}
