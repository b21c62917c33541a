import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, DEFAULT_METRICS_PORT, DEFAULT_PORT, loadConfig } from "../src/config";

test("defaults apply when nothing is set", () => {
  assert.deepEqual(loadConfig({}), {
    host: "::",
    port: DEFAULT_PORT,
    metricsPort: DEFAULT_METRICS_PORT,
    logLevel: "info",
    shutdownDelayMs: 0,
    requestTimeoutMs: 10_000,
    bodyLimitBytes: 1_048_576,
  });
});

test("every variable is read", () => {
  const config = loadConfig({
    HOST: "127.0.0.1",
    PORT: "9000",
    METRICS_PORT: "9100",
    LOG_LEVEL: "DEBUG",
    SHUTDOWN_DELAY_SECONDS: "5",
    REQUEST_TIMEOUT_SECONDS: "3",
    BODY_LIMIT_BYTES: "2048",
  });
  assert.deepEqual(config, {
    host: "127.0.0.1",
    port: 9000,
    metricsPort: 9100,
    logLevel: "debug",
    shutdownDelayMs: 5000,
    requestTimeoutMs: 3000,
    bodyLimitBytes: 2048,
  });
});

test("metrics may share the service's port", () => {
  const config = loadConfig({ PORT: "9100", METRICS_PORT: "9100" });
  assert.equal(config.metricsPort, config.port);
});

test("a bad value is refused with the variable's name", () => {
  for (const [name, value] of [
    ["PORT", "0"],
    ["PORT", "70000"],
    ["PORT", "http"],
    ["METRICS_PORT", "0"],
    ["LOG_LEVEL", "loud"],
    ["SHUTDOWN_DELAY_SECONDS", "-1"],
    ["SHUTDOWN_DELAY_SECONDS", "1.5"],
    ["REQUEST_TIMEOUT_SECONDS", "0"],
    ["BODY_LIMIT_BYTES", "lots"],
    ["HOST", " "],
  ] as const) {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (error: unknown) => error instanceof ConfigError && error.message.includes(name),
      `${name}=${value}`,
    );
  }
});
