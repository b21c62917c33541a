from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient

from app import logs
from app.config import Settings
from app.main import State, create_app


class Logs:
    """The JSON lines the service logged during a test."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def captured_logs():
    captured = Logs()
    logs.configure("DEBUG", captured.stream)
    yield captured
    logging.getLogger().handlers[:] = []


@pytest.fixture
def settings() -> Settings:
    return Settings(request_timeout_seconds=2.0, max_body_bytes=1024)


@pytest.fixture
def state() -> State:
    return State()


@pytest.fixture
def app(settings, state):
    return create_app(settings, state=state)


@pytest.fixture
def client(app):
    # raise_server_exceptions=False: the client sees what a real caller would, the 500.
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
