// Prometheus metrics: the request counter and duration histogram the SLO rules in alerts/, the
// chart's PrometheusRule and the dashboard query, plus Node's default process metrics. One
// registry per app, so tests can build several apps in one process. They are served on a port of
// their own (METRICS_PORT), so the Ingress or HTTPRoute exposing the service never exposes them.
import Fastify, { type FastifyInstance } from "fastify";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  registry: Registry;
  requests: Counter<"method" | "route" | "status">;
  duration: Histogram<"method" | "route" | "status">;
}

export function createMetrics(defaults = true): Metrics {
  const registry = new Registry();
  if (defaults) {
    collectDefaultMetrics({ register: registry });
  }
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route template and status code",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from receiving a request to finishing its response, in seconds",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, requests, duration };
}

/**
 * The metrics listener: GET /metrics and nothing else. Not logged (a scrape every few seconds
 * would drown the access log) and not counted (scrapes are not the service's traffic).
 */
export function buildMetricsServer(metrics: Metrics): FastifyInstance {
  const server = Fastify({ logger: false });
  server.get("/metrics", async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
  return server;
}
