// The built server as a process: listens on IPv4 and IPv6, exports traces over OTLP when OTEL_*
// asks for it (with their ids in the logs), and stops cleanly on SIGTERM.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { test } from "node:test";

const MAIN = path.join(__dirname, "..", "src", "main.js");

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

interface Running {
  child: ChildProcess;
  port: number;
  metricsPort: number;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** Starts the server and waits until its listeners are up (one, with `sharePort`). */
async function start(env: Record<string, string>, sharePort = false): Promise<Running> {
  const port = await freePort();
  const metricsPort = sharePort ? port : await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? "", PORT: String(port), METRICS_PORT: String(metricsPort), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = new Promise<void>((resolve, reject) => {
    let buffer = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        // Logged once both listeners are up.
        if (entry.msg === "serving metrics") {
          resolve();
        }
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  await listening;
  return { child, port, metricsPort, logs, exited };
}

async function get(host: string, port: number, urlPath: string, headers = {}) {
  const response = await fetch(`http://${host}:${port}${urlPath}`, { headers });
  return { status: response.status, body: await response.text() };
}

/**
 * /metrics once it matches `pattern`, for up to 5 s: a request is counted in `onResponse`, after
 * its response is sent, so a scrape right after it may come first on a busy machine.
 */
async function metricsMatching(port: number, pattern: RegExp) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const metrics = await get("127.0.0.1", port, "/metrics");
    if ((metrics.status === 200 && pattern.test(metrics.body)) || Date.now() > deadline) {
      return metrics;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("listens on IPv4 and IPv6, serves probes and metrics, and exits 0 on SIGTERM", async () => {
  const server = await start({ SHUTDOWN_DELAY_SECONDS: "1" });
  assert.equal((await get("127.0.0.1", server.port, "/healthz")).status, 200);
  assert.equal((await get("127.0.0.1", server.port, "/readyz")).status, 200);
  const ipv6 = await get("[::1]", server.port, "/healthz").catch(() => undefined);
  if (ipv6 === undefined) {
    // Hosts without IPv6 (some CI containers): the server falls back to IPv4 only.
    assert.ok(server.logs.some((l) => String(l.msg).includes("IPv6 is unavailable")));
  } else {
    assert.equal(ipv6.status, 200);
  }
  const counted = /http_requests_total\{method="GET",route="\/healthz",status="200"\}/;
  const metrics = await metricsMatching(server.metricsPort, counted);
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, counted);
  assert.match(metrics.body, /process_cpu_seconds_total/);
  // The HTTP port, which the Ingress or HTTPRoute exposes, does not serve them.
  assert.equal((await get("127.0.0.1", server.port, "/metrics")).status, 404);

  server.child.kill("SIGTERM");
  // During the shutdown delay the server still answers, but is not ready.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal((await get("127.0.0.1", server.port, "/readyz")).status, 503);
  assert.equal((await get("127.0.0.1", server.port, "/healthz")).status, 200);
  assert.equal(await server.exited, 0);
  assert.ok(server.logs.some((l) => l.msg === "stopped"));
});

test("METRICS_PORT equal to PORT serves /metrics on the service's port", async () => {
  // What a project upgraded from 1.0.0 records (metrics_port = port): one listener serves both.
  const server = await start({ SHUTDOWN_DELAY_SECONDS: "0" }, true);
  assert.equal((await get("127.0.0.1", server.port, "/healthz")).status, 200);
  const counted = /http_requests_total\{method="GET",route="\/healthz",status="200"\}/;
  const metrics = await metricsMatching(server.port, counted);
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, counted);
  server.child.kill("SIGTERM");
  assert.equal(await server.exited, 0);
});

test("a bad configuration stops the server before it listens, naming the variable", async () => {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? "", PORT: "not-a-port" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 1);
  assert.match(stderr, /invalid configuration: PORT must be/);
});

test("with OTEL_EXPORTER_OTLP_ENDPOINT set, spans go over OTLP and their ids into the logs", async () => {
  // A stand-in OTLP/HTTP collector: records what is posted to /v1/traces.
  const received: { path: string; type: string; bytes: number }[] = [];
  const collector = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({
        path: request.url ?? "",
        type: String(request.headers["content-type"]),
        bytes: Buffer.concat(chunks).length,
      });
      response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  collector.listen(0, "127.0.0.1");
  await once(collector, "listening");
  const { port: collectorPort } = collector.address() as AddressInfo;

  const server = await start({
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
    OTEL_SERVICE_NAME: "orders-api-test",
  });
  const answer = await get("127.0.0.1", server.port, "/", { "x-request-id": "traced-1" });
  assert.equal(answer.status, 200);
  server.child.kill("SIGTERM");
  assert.equal(await server.exited, 0);
  collector.close();

  const line = server.logs.find((l) => l.request_id === "traced-1" && l.msg === "incoming request");
  assert.ok(line, `no log line for the request in ${JSON.stringify(server.logs)}`);
  assert.match(String(line.trace_id), /^[0-9a-f]{32}$/);
  assert.match(String(line.span_id), /^[0-9a-f]{16}$/);
  // The shutdown flushed the batch: one OTLP/protobuf export holding the span.
  const traces = received.filter((r) => r.path === "/v1/traces");
  assert.ok(traces.length >= 1, `no export to /v1/traces: ${JSON.stringify(received)}`);
  assert.equal(traces[0]?.type, "application/x-protobuf");
  assert.ok((traces[0]?.bytes ?? 0) > 0);
});

test("without OTEL_* variables, nothing is traced and no trace ids are logged", async () => {
  const server = await start({});
  await get("127.0.0.1", server.port, "/", { "x-request-id": "untraced-1" });
  server.child.kill("SIGTERM");
  assert.equal(await server.exited, 0);
  const lines = server.logs.filter((l) => l.request_id === "untraced-1");
  assert.ok(lines.length > 0);
  assert.ok(lines.every((l) => l.trace_id === undefined));
});
