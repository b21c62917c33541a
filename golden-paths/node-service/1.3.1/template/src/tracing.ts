// OpenTelemetry tracing through the standard OTLP exporter, configured only by the standard
// OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, ...). Off unless an OTLP endpoint is set, so a
// laptop or a cluster without a collector exports nothing and logs no connection errors.
import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { NodeSDK } from "@opentelemetry/sdk-node";

type Env = Record<string, string | undefined>;

/** The routes probes and Prometheus call every few seconds: not worth a trace each. */
const UNTRACED = new Set(["/healthz", "/readyz", "/metrics"]);

export function tracingEnabled(env: Readonly<Env>): boolean {
  const set = (name: string) => (env[name] ?? "").trim() !== "";
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") {
    return false;
  }
  if ((env.OTEL_TRACES_EXPORTER ?? "").trim().toLowerCase() === "none") {
    return false;
  }
  return set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
}

/**
 * Starts the SDK when `tracingEnabled(env)`. Must run before `http` and fastify are loaded, so
 * their instrumentation applies: src/instrument.ts calls it and src/main.ts imports that first.
 */
export function startTracing(serviceName: string, env: Env = process.env): NodeSDK | undefined {
  if (!tracingEnabled(env)) {
    return undefined;
  }
  // Traces only: metrics are scraped by Prometheus from /metrics and logs go to stdout.
  env.OTEL_METRICS_EXPORTER ??= "none";
  env.OTEL_LOGS_EXPORTER ??= "none";
  env.OTEL_SERVICE_NAME ??= serviceName;
  const sdk = new NodeSDK({
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) =>
          UNTRACED.has((request.url ?? "").split("?", 1)[0] ?? ""),
      }),
    ],
  });
  sdk.start();
  return sdk;
}

/** The ids of the active span, for the log line being written (empty when tracing is off). */
export function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (span === undefined) {
    return {};
  }
  const ids = span.spanContext();
  if (!isSpanContextValid(ids)) {
    return {};
  }
  return { trace_id: ids.traceId, span_id: ids.spanId };
}
