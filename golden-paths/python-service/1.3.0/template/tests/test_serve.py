"""The service as it runs in its container: `python -m app` on a real socket, stopped by
SIGTERM."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port(family=socket.AF_INET, host="127.0.0.1") -> int:
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape_until(url: str, needle: str) -> str:
    """The metrics at `url` once they hold `needle` (or after 5 s): a request is counted once its
    response is sent, so a scrape made right after the response can come first."""
    deadline = time.monotonic() + 5
    while True:
        status, metrics = get(url)
        assert status == 200
        if needle in metrics or time.monotonic() > deadline:
            return metrics
        time.sleep(0.05)


def start(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_ready(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the service exited: {proc.communicate()}"
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail(f"the service did not answer {url}: {proc.communicate()}")


def test_serves_drains_on_sigterm_and_exits_cleanly():
    port, metrics_port = free_port(), free_port()
    proc = start(
        {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "METRICS_PORT": str(metrics_port),
            "SHUTDOWN_DELAY_SECONDS": "1",
        }
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, base + "/readyz")
    assert get(base + "/healthz") == (200, '{"status":"ok"}')
    counted = 'http_requests_total{method="GET",route="/healthz",status="200"} 1.0'
    metrics = scrape_until(f"http://127.0.0.1:{metrics_port}/metrics", counted)
    assert counted in metrics
    # Only the metrics port serves them.
    assert get(base + "/metrics")[0] == 404
    assert get(f"http://127.0.0.1:{metrics_port}/")[0] == 404
    proc.send_signal(signal.SIGTERM)
    # Draining: not ready, still serving.
    time.sleep(0.2)
    assert get(base + "/readyz")[0] == 503
    assert get(base + "/healthz")[0] == 200
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    messages = [line["message"] for line in lines]
    assert "listening" in messages and "stopped" in messages
    assert messages.index("shutdown requested: draining") < messages.index("stopped")


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 on this host")
def test_listens_on_ipv6_and_ipv4_at_once():
    port, metrics_port = free_port(socket.AF_INET6, "::"), free_port(socket.AF_INET6, "::")
    proc = start(
        {"PORT": str(port), "METRICS_PORT": str(metrics_port), "SHUTDOWN_DELAY_SECONDS": "0"}
    )
    try:
        wait_ready(proc, f"http://127.0.0.1:{port}/healthz")
        assert get(f"http://[::1]:{port}/healthz")[0] == 200
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        assert get(f"http://[::1]:{metrics_port}/metrics")[0] == 200
        assert get(f"http://127.0.0.1:{metrics_port}/metrics")[0] == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_bad_configuration_stops_the_start_naming_the_variable():
    proc = start({"PORT": "eighty"})
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 2
    line = json.loads(err)
    assert line["level"] == "error"
    assert line["problems"] == ["PORT='eighty' is not an integer"]


def test_metrics_on_the_service_port_when_metrics_port_is_port():
    # What a project upgraded from 1.0.0 records (metrics_port = port): one listener serves both.
    port = free_port()
    proc = start(
        {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "METRICS_PORT": str(port),
            "SHUTDOWN_DELAY_SECONDS": "0",
        }
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(proc, base + "/readyz")
        assert get(base + "/healthz")[0] == 200
        get(base + "/metrics")
        counted = 'http_requests_total{method="GET",route="/healthz",status="200"} 1.0'
        metrics = scrape_until(base + "/metrics", counted)
        assert counted in metrics
        # Scrapes are not requests: the first one is not counted by the second.
        assert 'route="/metrics"' not in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0
