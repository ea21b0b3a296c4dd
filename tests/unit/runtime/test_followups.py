"""The served /metrics registry, console logs, 409 conflicts and a custom rate limiter."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Hashable, Iterator

import pytest
import requests
import structlog
from kubernetes import client as k8s
from prometheus_client import CollectorRegistry, Counter, generate_latest

from keycloak_controller import cli
from keycloak_controller.runtime import logging as runtime_logging
from keycloak_controller.runtime.controller import Controller
from keycloak_controller.runtime.kubeapi import ApiException
from keycloak_controller.runtime.manager import Manager, ManagerOptions
from keycloak_controller.runtime.metrics import Metrics, merged_registry
from keycloak_controller.runtime.reconcile import Request, Result
from keycloak_controller.runtime.server import ProbeServer

REQ = Request("ns", "obj")


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    yield stream
    structlog.reset_defaults()
    logging.getLogger().handlers = []


class Raising:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def reconcile(self, request: Request) -> Result:
        raise self.error


def conflict() -> ApiException:
    body = {"kind": "Status", "status": "Failure", "reason": "Conflict", "code": 409}
    return ApiException(status=409, reason="Conflict", body=json.dumps(body))


def process_once(controller: Controller) -> None:
    controller.queue.add(REQ)
    assert controller.queue.get(timeout=0) == REQ
    controller.process(REQ)
    controller.queue.done(REQ)


# --- /metrics ----------------------------------------------------------------------------


def test_merged_registry_shows_both_and_registers_nothing() -> None:
    own, library = CollectorRegistry(), CollectorRegistry()
    Counter("own_things", "mine", registry=own).inc()
    Counter("library_things", "theirs", registry=library).inc(2)
    Counter("own_things", "a clash: the first registry wins", registry=library).inc(5)
    served = merged_registry(own, library)
    text = generate_latest(served).decode()
    assert "own_things_total 1.0" in text
    assert "library_things_total 2.0" in text
    assert text.count("# TYPE own_things_total counter") == 1
    assert "own_things_total 5.0" not in text
    # A second view of the same registries is fine: nothing was registered in them.
    merged_registry(own, library)
    Counter("more_library_things", "later", registry=library).inc()
    assert "more_library_things_total 1.0" in generate_latest(served).decode()


def test_two_managers_serve_their_own_and_the_default_registry() -> None:
    # The Keycloak client registers in prometheus_client's default registry.
    from keycloak_controller.keycloak.metrics import REQUESTS

    REQUESTS.labels(instance="unit/served", method="GET", outcome="200").inc()
    managers = [Manager(k8s.Configuration(), ManagerOptions(probe_port=0)) for _ in range(2)]
    for manager in managers:
        manager.controller("things", Raising(RuntimeError()))
    for manager in managers:
        server = ProbeServer(manager.served_registry, lambda: True, port=0)
        server.start()
        try:
            text = requests.get(f"http://127.0.0.1:{server.port}/metrics", timeout=5).text
        finally:
            server.stop()
        assert 'controller_runtime_reconcile_total{controller="things",result="error"}' in text
        assert 'keycloak_client_requests_total{instance="unit/served"' in text
        assert "keycloak_client_circuit_breaker_state" in text


def test_a_manager_can_serve_only_its_own_registry() -> None:
    manager = Manager(
        k8s.Configuration(), ManagerOptions(probe_port=0, extra_metrics_registries=())
    )
    manager.controller("things", Raising(RuntimeError()))
    text = generate_latest(manager.served_registry).decode()
    assert "controller_runtime_reconcile_total" in text
    assert "keycloak_client_requests_total" not in text


# --- 409 Conflict ------------------------------------------------------------------------


def test_a_conflict_is_requeued_and_logged_without_a_traceback(log_stream: io.StringIO) -> None:
    runtime_logging.configure(logging.INFO, log_stream)
    metrics = Metrics()
    controller = Controller("c", Raising(conflict()), metrics=metrics)
    process_once(controller)
    assert controller.queue.num_requeues(REQ) == 1
    assert controller.queue.waiting_count() == 1
    assert (
        metrics.registry.get_sample_value(
            "controller_runtime_reconcile_total", {"controller": "c", "result": "error"}
        )
        == 1
    )
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert len(lines) == 1, lines
    assert lines[0]["level"] == "info"
    assert "409 Conflict" in lines[0]["event"]
    assert lines[0]["reason"] == "Conflict"
    assert lines[0]["key"] == "ns/obj"
    assert "exception" not in lines[0]


def test_other_api_errors_still_log_a_traceback(log_stream: io.StringIO) -> None:
    runtime_logging.configure(logging.INFO, log_stream)
    error = ApiException(status=500, reason="Internal Server Error", body="{}")
    controller = Controller("c", Raising(error), metrics=Metrics())
    process_once(controller)
    assert controller.queue.num_requeues(REQ) == 1
    (line,) = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert line["level"] == "error"
    assert "Traceback" in line["exception"]


# --- a custom rate limiter ----------------------------------------------------------------


class CountingLimiter:
    def __init__(self) -> None:
        self.whens: list[Hashable] = []
        self.forgotten: list[Hashable] = []

    def when(self, item: Hashable) -> float:
        self.whens.append(item)
        return 123.0

    def forget(self, item: Hashable) -> None:
        self.forgotten.append(item)

    def num_requeues(self, item: Hashable) -> int:
        return 42


def test_manager_passes_a_custom_rate_limiter_to_the_controller() -> None:
    limiter = CountingLimiter()
    manager = Manager(k8s.Configuration(), ManagerOptions(probe_port=0))
    controller = manager.controller("c", Raising(RuntimeError("x")), rate_limiter=limiter)
    process_once(controller)
    assert limiter.whens == [REQ]
    assert controller.queue.num_requeues(REQ) == 42
    # The default controller still gets the default limiter.
    other = manager.controller("d", Raising(RuntimeError("x")))
    process_once(other)
    assert other.queue.num_requeues(REQ) == 1
    assert limiter.whens == [REQ]


# --- console logs ------------------------------------------------------------------------


def test_console_format_renders_readable_lines(log_stream: io.StringIO) -> None:
    runtime_logging.configure(logging.INFO, log_stream, log_format="console")
    structlog.get_logger("t").info("hello there", key="ns/obj")
    logging.getLogger("stdlib").warning("from the standard library")
    text = log_stream.getvalue()
    lines = text.splitlines()
    assert len(lines) == 2, text
    assert "hello there" in lines[0] and "key" in lines[0] and "ns/obj" in lines[0]
    assert "from the standard library" in lines[1]
    for line in lines:
        with pytest.raises(ValueError):
            json.loads(line)


@pytest.mark.parametrize(("fmt", "is_json"), [("json", True), ("console", False)])
def test_cli_uses_the_runtime_configuration(
    log_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch, fmt: str, is_json: bool
) -> None:
    monkeypatch.setattr("sys.stderr", log_stream)
    cli.configure_logging("warning", fmt)
    log = structlog.get_logger("t")
    log.info("filtered out")
    log.warning("kept", n=1)
    (line,) = log_stream.getvalue().splitlines()
    assert "kept" in line
    if is_json:
        assert json.loads(line)["event"] == "kept"
    else:
        with pytest.raises(ValueError):
            json.loads(line)


def test_cli_auto_format_is_json_off_a_terminal(
    log_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stderr", log_stream)  # StringIO.isatty() is False
    cli.configure_logging("info", "auto")
    structlog.get_logger("t").info("plain")
    assert json.loads(log_stream.getvalue())["event"] == "plain"
    args = cli.build_parser().parse_args(["run", "--log-format", "console"])
    assert args.log_format == "console"
