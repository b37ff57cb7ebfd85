/**
 * Whether the standard OpenTelemetry variables ask for traces: an OTLP endpoint
 * (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or OTEL_TRACES_EXPORTER=otlp|console,
 * unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Reads the environment only: nothing is loaded.
 */
export function tracingRequested(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporter = tracesExporter(env);
  if (exporter === "none") return false;
  if (exporter !== undefined) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/** OTEL_TRACES_EXPORTER's first entry (otlp, console, none), lower-cased. */
export function tracesExporter(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const first = env.OTEL_TRACES_EXPORTER?.split(",")[0]?.trim().toLowerCase();
  return first || undefined;
}

/** Where OTLP/HTTP traces go: the traces endpoint as given, else `<endpoint>/v1/traces`, else the default collector. */
export function otlpTracesUrl(env: Readonly<Record<string, string | undefined>>): string {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || "http://localhost:4318";
  return `${base.replace(/\/+$/, "")}/v1/traces`;
}
