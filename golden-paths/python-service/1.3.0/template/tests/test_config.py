import pytest

from app.config import DEFAULT_METRICS_PORT, DEFAULT_PORT, ConfigError, Settings


def test_defaults_when_nothing_is_set():
    s = Settings.from_env({})
    assert s.port == DEFAULT_PORT
    assert s.metrics_port == DEFAULT_METRICS_PORT != DEFAULT_PORT
    assert s.host == "::"
    assert s.log_level == "INFO"
    assert s.shutdown_delay_seconds == 5.0
    assert s.request_timeout_seconds == 10.0
    assert s.max_body_bytes == 1024 * 1024


def test_every_variable_is_read():
    s = Settings.from_env(
        {
            "HOST": "127.0.0.1",
            "PORT": "9000",
            "LOG_LEVEL": "warn",
            "SHUTDOWN_DELAY_SECONDS": "0.5",
            "REQUEST_TIMEOUT_SECONDS": "3",
            "MAX_BODY_BYTES": "2048",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        }
    )
    assert (s.host, s.port, s.log_level) == ("127.0.0.1", 9000, "WARNING")
    assert (s.shutdown_delay_seconds, s.request_timeout_seconds, s.max_body_bytes) == (
        0.5,
        3.0,
        2048,
    )


def test_every_bad_value_is_reported_at_once():
    with pytest.raises(ConfigError) as e:
        Settings.from_env(
            {
                "PORT": "http",
                "LOG_LEVEL": "loud",
                "SHUTDOWN_DELAY_SECONDS": "-1",
                "REQUEST_TIMEOUT_SECONDS": "nan",
                "MAX_BODY_BYTES": "1.5",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            }
        )
    message = str(e.value)
    for name in (
        "PORT",
        "LOG_LEVEL",
        "SHUTDOWN_DELAY_SECONDS",
        "REQUEST_TIMEOUT_SECONDS",
        "MAX_BODY_BYTES",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ):
        assert name in message
    assert len(e.value.problems) == 6


def test_port_out_of_range():
    with pytest.raises(ConfigError, match="PORT='70000' must be between 1 and 65535"):
        Settings.from_env({"PORT": "70000"})


def test_metrics_port_may_be_the_service_port():
    assert Settings.from_env({"METRICS_PORT": "9100"}).metrics_port == 9100
    s = Settings.from_env({"PORT": "9100", "METRICS_PORT": "9100"})
    assert s.metrics_port == s.port == 9100
