"""Starts the service: `python -m app`. Reads and validates the configuration, then serves until
SIGTERM, draining first: /readyz fails for SHUTDOWN_DELAY_SECONDS while requests are still
served, then the listener closes and in-flight requests finish."""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import sys
import threading
from datetime import UTC, datetime

import uvicorn

from . import logs, tracing
from .config import SERVICE_NAME, ConfigError, Settings
from .main import State, create_app
from .metrics import MetricsServer

log = logging.getLogger("app")


class DrainingServer(uvicorn.Server):
    """uvicorn's server, with a drain before the shutdown: the first SIGTERM or SIGINT marks the
    service not ready and stops it SHUTDOWN_DELAY_SECONDS later; a second one stops it at once."""

    def __init__(self, config: uvicorn.Config, state: State, delay: float) -> None:
        super().__init__(config)
        self.lifecycle = state
        self.delay = delay

    def handle_exit(self, sig: int, frame) -> None:
        # Not uvicorn's handler: that one re-raises the signal after shutdown, so the process
        # would end killed by SIGTERM instead of exiting 0 after a clean drain.
        if self.lifecycle.draining.is_set() or self.delay == 0:
            self.lifecycle.draining.set()
            self.should_exit = True
            return
        self.lifecycle.draining.set()
        log.info("shutdown requested: draining", extra={"signal": sig, "delay_seconds": self.delay})
        timer = threading.Timer(self.delay, self._stop)
        timer.daemon = True
        timer.start()

    def _stop(self) -> None:
        self.should_exit = True


def listen(host: str, port: int) -> socket.socket:
    """A listening socket; "::" accepts IPv6 and IPv4 both (IPV6_V6ONLY off), falling back to
    IPv4 only on a host without IPv6."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as e:
        if host != "::" or e.errno not in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT):
            raise
        log.warning("IPv6 unavailable: listening on IPv4 only")
        return listen("0.0.0.0", port)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6 and host == "::":
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def main() -> int:
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as e:
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "error",
            "logger": "app",
            "message": str(e),
            "problems": e.problems,
        }
        print(json.dumps(line), file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    provider = tracing.configure(SERVICE_NAME, os.environ)
    state = State()
    app = create_app(settings, state=state)
    try:
        sock = listen(settings.host, settings.port)
        # METRICS_PORT equal to PORT: the app serves /metrics itself (create_app).
        separate = settings.metrics_port != settings.port
        metrics_sock = listen(settings.host, settings.metrics_port) if separate else None
    except OSError as e:
        log.error(
            "cannot listen",
            extra={
                "host": settings.host,
                "port": settings.port,
                "metrics_port": settings.metrics_port,
                "error": str(e),
            },
        )
        return 1
    metrics_server = (
        MetricsServer(metrics_sock, app.state.metrics.registry) if metrics_sock else None
    )
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="off",
        # In-flight requests get their timeout to finish once the listener closes.
        timeout_graceful_shutdown=max(1, round(settings.request_timeout_seconds + 1)),
    )
    server = DrainingServer(config, state, settings.shutdown_delay_seconds)
    log.info(
        "listening",
        extra={
            "address": sock.getsockname()[0],
            "port": sock.getsockname()[1],
            "metrics_port": metrics_sock.getsockname()[1] if metrics_sock else settings.port,
            "tracing": provider is not None,
        },
    )
    server.run(sockets=[sock])
    # Scraped until the HTTP listener is gone, so the drain shows on the dashboard.
    if metrics_server is not None:
        metrics_server.close()
    if provider is not None:
        provider.shutdown()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
