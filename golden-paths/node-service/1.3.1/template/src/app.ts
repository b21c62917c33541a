// The HTTP application: routes, request ids, timeouts, body limits, error handling and metrics
// (served by a listener of their own, src/metrics.ts, or by `app` when METRICS_PORT is PORT).
// Building it does not listen, so tests drive it with `app.inject` and main.ts decides where it
// listens.
import { randomUUID } from "node:crypto";
import Fastify, { LogController, type FastifyError, type FastifyInstance } from "fastify";
import type { Config } from "./config";
import { buildMetricsServer, createMetrics, type Metrics } from "./metrics";
import { DESCRIPTION, SERVICE_NAME } from "./service";
import { traceFields } from "./tracing";

export interface Service {
  app: FastifyInstance;
  /** Serves /metrics on METRICS_PORT, apart from `app`'s traffic (unused when that is PORT). */
  metricsServer: FastifyInstance;
  metrics: Metrics;
  /** From now on /readyz fails, so the pod leaves the Service's endpoints before it stops. */
  beginShutdown(): void;
}

export interface ServiceOptions {
  /** Where the JSON log lines go (stdout when unset). */
  logStream?: NodeJS.WritableStream;
  /** Node's process metrics (on by default; tests building many apps turn them off). */
  processMetrics?: boolean;
}

/** Served by `app` only when METRICS_PORT is PORT; its scrapes are not counted as requests. */
const SCRAPE_ROUTE = "/metrics";

/** An incoming X-Request-Id is kept only when it is short and plain, so logs stay parseable. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function buildService(config: Config, options: ServiceOptions = {}): Service {
  const metrics = createMetrics(options.processMetrics ?? true);
  let shuttingDown = false;

  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Trace ids of the active span on every line, to go from a log line to its trace.
      mixin: traceFields,
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    bodyLimit: config.bodyLimitBytes,
    // Slow clients: the whole request must arrive within the timeout (Node's http server).
    requestTimeout: config.requestTimeoutMs,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: "request_id" }),
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
    // A handler that has not answered in time gets a 503, which the metrics count.
    const timer = setTimeout(() => {
      if (!reply.sent) {
        request.log.error({ timeout_ms: config.requestTimeoutMs }, "request timed out");
        void reply.code(503).send({ error: "request timed out" });
      }
    }, config.requestTimeoutMs);
    timer.unref();
    reply.raw.once("close", () => clearTimeout(timer));
  });

  app.addHook("onResponse", async (request, reply) => {
    // The route template, never the raw URL, so ids in paths do not explode the series count.
    const route = request.routeOptions.url ?? "unmatched";
    if (route === SCRAPE_ROUTE) {
      // A Prometheus scrape on the traffic's port is not a request of the service: counting it
      // would add one request to every scrape interval, as the metrics listener does not.
      return;
    }
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const code = error.statusCode;
    const status = code !== undefined && code >= 400 && code < 600 ? code : 500;
    if (status >= 500) {
      // The stack goes to the log, never to the client.
      request.log.error({ err: error }, "request failed");
      return reply.code(status).send({ error: "internal server error" });
    }
    request.log.info({ err: error }, "request rejected");
    return reply.code(status).send({ error: error.message });
  });

  app.get("/", async () => ({ service: SERVICE_NAME, description: DESCRIPTION }));

  // Liveness: the process answers. It never checks dependencies, so a dependency outage does not
  // restart every pod.
  app.get("/healthz", async () => ({ status: "ok" }));

  // Readiness: fails from SIGTERM on, so the load balancer stops sending traffic first.
  app.get("/readyz", async (_request, reply) => {
    if (shuttingDown) {
      return reply.code(503).send({ status: "shutting down" });
    }
    return { status: "ready" };
  });

  // METRICS_PORT equal to PORT: /metrics on the traffic's listener (the chart then scrapes the
  // `http` port), as the service did before metrics had a port of their own.
  if (config.metricsPort === config.port) {
    // Scrapes are logged at warn and above only: one every few seconds would drown the log.
    app.get(SCRAPE_ROUTE, { logLevel: "warn" }, async (_request, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    });
  }

  return {
    app,
    metricsServer: buildMetricsServer(metrics),
    metrics,
    beginShutdown: () => {
      shuttingDown = true;
    },
  };
}
