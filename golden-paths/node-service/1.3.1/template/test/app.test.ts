import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { buildService } from "../src/app";
import { loadConfig } from "../src/config";
import { DESCRIPTION, SERVICE_NAME } from "../src/service";

/** An app whose log lines are collected, parsed, for the test to read. */
function service(env: Record<string, string> = {}) {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() !== "") {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
    }
  });
  const built = buildService(loadConfig({ LOG_LEVEL: "info", ...env }), {
    logStream: stream,
    processMetrics: false,
  });
  return { ...built, lines };
}

/** The value of one series in the Prometheus text format, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test("probes answer, and /readyz fails once shutdown begins while /healthz does not", async () => {
  const { app, beginShutdown } = service();
  assert.equal((await app.inject("/healthz")).statusCode, 200);
  const ready = await app.inject("/readyz");
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json(), { status: "ready" });
  beginShutdown();
  assert.equal((await app.inject("/readyz")).statusCode, 503);
  assert.equal((await app.inject("/healthz")).statusCode, 200);
  await app.close();
});

test("requests are counted and timed by method, route template and status", async () => {
  const { app, metricsServer } = service();
  app.get("/orders/:id", async (request) => ({ id: (request.params as { id: string }).id }));
  for (const id of ["1", "2", "3"]) {
    assert.equal((await app.inject(`/orders/${id}`)).statusCode, 200);
  }
  assert.equal((await app.inject("/nowhere")).statusCode, 404);
  const metrics = await metricsServer.inject("/metrics");
  assert.equal(metrics.statusCode, 200);
  assert.match(String(metrics.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  const text = metrics.body;
  const labels = 'method="GET",route="/orders/:id",status="200"';
  assert.equal(sample(text, `http_requests_total{${labels}}`), 3);
  assert.equal(sample(text, `http_request_duration_seconds_count{${labels}}`), 3);
  assert.equal(sample(text, `http_request_duration_seconds_bucket{le="+Inf",${labels}}`), 3);
  assert.equal(
    sample(text, 'http_requests_total{method="GET",route="unmatched",status="404"}'),
    1,
  );
  assert.ok(!text.includes('route="/orders/1"'), "raw URLs must not become labels");
  await app.close();
});

test("an unhandled error is a 500 that is counted and logged with the request id", async () => {
  const { app, metricsServer, lines } = service();
  app.get("/boom", async () => {
    throw new Error("database exploded");
  });
  const response = await app.inject({ url: "/boom", headers: { "x-request-id": "req-42" } });
  assert.equal(response.statusCode, 500);
  assert.deepEqual(response.json(), { error: "internal server error" });
  assert.equal(response.headers["x-request-id"], "req-42");
  const metrics = (await metricsServer.inject("/metrics")).body;
  assert.equal(sample(metrics, 'http_requests_total{method="GET",route="/boom",status="500"}'), 1);
  const logged = lines.find((l) => l.msg === "request failed");
  assert.ok(logged, `no "request failed" line in ${JSON.stringify(lines)}`);
  assert.equal(logged.request_id, "req-42");
  assert.equal(logged.level, 50);
  assert.match(JSON.stringify(logged.err), /database exploded/);
  await app.close();
});

test("every log line is JSON with the request id; an unsafe incoming id is replaced", async () => {
  const { app, lines } = service();
  const given = await app.inject({ url: "/", headers: { "x-request-id": "abc-123" } });
  assert.equal(given.headers["x-request-id"], "abc-123");
  assert.deepEqual(given.json(), { service: SERVICE_NAME, description: DESCRIPTION });
  const unsafe = await app.inject({ url: "/", headers: { "x-request-id": "a b\"c{}" } });
  const replaced = String(unsafe.headers["x-request-id"]);
  assert.match(replaced, /^[0-9a-f-]{36}$/);
  const ids = lines.filter((l) => l.msg === "request completed").map((l) => l.request_id);
  assert.deepEqual(ids, ["abc-123", replaced]);
  await app.close();
});

test("/metrics is served by the metrics listener only, never on the HTTP port", async () => {
  const { app, metricsServer } = service();
  assert.equal((await app.inject("/metrics")).statusCode, 404);
  assert.equal((await metricsServer.inject("/metrics")).statusCode, 200);
  assert.equal((await metricsServer.inject("/")).statusCode, 404);
  await app.close();
});

test("with METRICS_PORT equal to PORT, scrapes of /metrics on the HTTP port are not counted", async () => {
  // What a project upgraded from 1.0.0 runs: one listener for traffic and scrapes.
  const { app } = service({ PORT: "8080", METRICS_PORT: "8080" });
  await app.inject("/");
  let text = "";
  for (let i = 0; i < 3; i++) {
    const scrape = await app.inject("/metrics");
    assert.equal(scrape.statusCode, 200);
    text = scrape.body;
  }
  assert.equal(sample(text, 'http_requests_total{method="GET",route="/",status="200"}'), 1);
  assert.ok(!text.includes('route="/metrics"'), text);
});

test("a body over the limit is refused with 413", async () => {
  const { app } = service({ BODY_LIMIT_BYTES: "16" });
  app.post("/echo", async (request) => request.body);
  const small = await app.inject({ method: "POST", url: "/echo", payload: { a: 1 } });
  assert.equal(small.statusCode, 200);
  const large = await app.inject({ method: "POST", url: "/echo", payload: { a: "x".repeat(64) } });
  assert.equal(large.statusCode, 413);
  await app.close();
});

test("a request not answered within the timeout gets a 503 that is counted", async () => {
  const { app, metricsServer, lines } = service({ REQUEST_TIMEOUT_SECONDS: "1" });
  app.get("/slow", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return { late: true };
  });
  const started = Date.now();
  const response = await app.inject("/slow");
  assert.equal(response.statusCode, 503);
  assert.ok(Date.now() - started < 1400, "answered at the timeout, not when the handler ended");
  const metrics = (await metricsServer.inject("/metrics")).body;
  assert.equal(sample(metrics, 'http_requests_total{method="GET",route="/slow",status="503"}'), 1);
  assert.ok(lines.some((l) => l.msg === "request timed out"));
  await new Promise((resolve) => setTimeout(resolve, 600));
  await app.close();
});

test("every metric the alert rules in alerts/ query is one the service exports", async () => {
  // Compiled to dist/test/, so the project's root is two levels up.
  const alerts = path.join(__dirname, "..", "..", "alerts");
  const queried = new Set<string>();
  for (const file of readdirSync(alerts).filter((f) => f.endsWith(".yaml"))) {
    if (file.endsWith(".test.yaml")) {
      continue;
    }
    const rules = readFileSync(path.join(alerts, file), "utf8");
    // Metric names directly before a selector. Recorded series (with a colon) come from the
    // rules, and `up` and `scrape_*` from Prometheus itself, not from the service.
    for (const match of rules.matchAll(/\b([a-zA-Z_][a-zA-Z0-9_:]*)\{/g)) {
      const name = match[1] ?? "";
      if (!name.includes(":") && name !== "up" && !name.startsWith("scrape_")) {
        queried.add(name);
      }
    }
  }
  assert.ok(queried.size > 0, `no metric found in the rules of ${alerts}`);
  const { app, metricsServer } = service();
  await app.inject("/healthz");
  const exported = new Set(
    (await metricsServer.inject("/metrics")).body
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => l.split(/[{ ]/, 1)[0] ?? ""),
  );
  for (const name of queried) {
    assert.ok(exported.has(name), `alerts query ${name}, which /metrics does not export`);
  }
  await app.close();
});
