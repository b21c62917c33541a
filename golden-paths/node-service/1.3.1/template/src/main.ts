// Entry point: tracing first (it must load before `http`), then configuration, then the server,
// and a graceful stop on SIGTERM/SIGINT.
import { tracing } from "./instrument";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { buildService } from "./app";
import { ConfigError, loadConfig, type Config } from "./config";

function fail(message: string): never {
  // The logger is not set up yet: one JSON line like the others, then a non-zero exit.
  process.stderr.write(`${JSON.stringify({ level: 60, time: Date.now(), msg: message })}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(`invalid configuration: ${error.message}`);
    }
    throw error;
  }
  const { app, metricsServer, beginShutdown } = buildService(config);

  process.on("uncaughtException", (error) => {
    app.log.fatal({ err: error }, "uncaught exception; exiting");
    process.exit(1);
  });

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      return;
    }
    stopping = true;
    app.log.info({ signal, delay_ms: config.shutdownDelayMs }, "shutting down; /readyz now fails");
    beginShutdown();
    await sleep(config.shutdownDelayMs);
    // Stops accepting connections, closes idle ones and waits for requests in flight.
    await app.close();
    // Scraped until the HTTP listener is gone, so the drain shows on the dashboard.
    await metricsServer.close();
    await tracing?.shutdown();
    app.log.info("stopped");
    process.exit(0);
  };
  process.once("SIGTERM", (signal) => void stop(signal));
  process.once("SIGINT", (signal) => void stop(signal));

  await listen(app, config.host, config.port, app.log);
  if (config.metricsPort !== config.port) {
    await listen(metricsServer, config.host, config.metricsPort, app.log);
  }
  app.log.info({ metrics_port: config.metricsPort }, "serving metrics");
}

async function listen(
  server: FastifyInstance,
  host: string,
  port: number,
  log: FastifyBaseLogger,
): Promise<void> {
  try {
    await server.listen({ host, port });
  } catch (error) {
    // A kernel without IPv6 cannot bind `::`; IPv4 alone still serves the cluster.
    if (host === "::" && (error as NodeJS.ErrnoException).code === "EAFNOSUPPORT") {
      log.warn({ port }, "IPv6 is unavailable; listening on IPv4 only");
      await server.listen({ host: "0.0.0.0", port });
    } else {
      throw error;
    }
  }
}

main().catch((error: unknown) => {
  fail(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
});
