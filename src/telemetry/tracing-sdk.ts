import { trace } from "@opentelemetry/api";
import { packageVersion } from "../../utils/version.js";
import { otlpTracesUrl, tracesExporter, tracingRequested } from "./tracing-env.js";

/** The process's tracer provider, once started: flush it before exit. */
export interface TracingHandle {
  /** Export what is buffered now. */
  flush(): Promise<void>;
  /** Flush, stop exporting and unregister the provider. */
  shutdown(): Promise<void>;
}

/**
 * Set up the OpenTelemetry SDK for this process when the OTEL_* variables ask for traces (tracingRequested);
 * otherwise return undefined having loaded nothing. The SDK, the OTLP/HTTP exporter (JSON) and the resource
 * are imported here only, dynamically, so that a process without the variables never loads them.
 * OTEL_SERVICE_NAME (default `serviceName`) and OTEL_EXPORTER_OTLP_HEADERS are honoured (the exporter reads
 * the headers itself).
 */
export async function startTracing(
  env: Readonly<Record<string, string | undefined>>,
  serviceName = "workflow-engine",
): Promise<TracingHandle | undefined> {
  if (!tracingRequested(env)) return undefined;
  const [sdk, { resourceFromAttributes }] = await Promise.all([import("@opentelemetry/sdk-trace"), import("@opentelemetry/resources")]);
  const exporter =
    tracesExporter(env) === "console"
      ? new sdk.ConsoleSpanExporter()
      : new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter({ url: otlpTracesUrl(env) });
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({
      "service.name": env.OTEL_SERVICE_NAME?.trim() || serviceName,
      "service.version": packageVersion(),
    }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })],
  });
  trace.setGlobalTracerProvider(provider);
  return {
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
    },
  };
}
