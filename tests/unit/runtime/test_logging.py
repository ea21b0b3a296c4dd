"""Reconcile logs are JSON and carry controller, key and reconcile_id."""

from __future__ import annotations

import io
import json
import logging
import threading
import time

import structlog

from keycloak_controller.runtime import logging as runtime_logging
from keycloak_controller.runtime.controller import Controller
from keycloak_controller.runtime.metrics import Metrics
from keycloak_controller.runtime.reconcile import Request, Result


class Failing:
    def reconcile(self, request: Request) -> Result:
        raise RuntimeError("boom")


def test_reconcile_log_lines_carry_context() -> None:
    stream = io.StringIO()
    runtime_logging.configure(logging.INFO, stream)
    try:
        controller = Controller("logs", Failing(), metrics=Metrics())
        controller.process(Request("ns", "obj"))
        controller.process(Request("ns", "obj"))
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers = []
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    errors = [line for line in lines if line.get("event", "").startswith("reconcile failed")]
    assert len(errors) == 2
    for line in errors:
        assert line["controller"] == "logs"
        assert line["key"] == "ns/obj"
        assert line["level"] == "error"
    assert errors[0]["reconcile_id"] != errors[1]["reconcile_id"]


class YieldingStream(io.StringIO):
    """A stream that lets other threads run inside every write, as a pipe or a file
    does when the write blocks."""

    def write(self, text: str) -> int:
        time.sleep(0.0005)
        return super().write(text)


def test_lines_from_structlog_and_stdlib_threads_never_interleave() -> None:
    """Both loggers share stderr; a record must never be cut into by another thread's
    (the audit trail and log pipelines read one JSON object per line)."""
    stream = YieldingStream()
    runtime_logging.configure(logging.INFO, stream)

    def structlog_lines() -> None:
        for i in range(100):
            runtime_logging.get_logger("test").info("structlog line", i=i)

    def stdlib_lines() -> None:
        for i in range(100):
            logging.getLogger("test").warning("stdlib line %d", i)

    try:
        threads = [threading.Thread(target=f) for f in (structlog_lines, stdlib_lines) * 2]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers = []
    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one whole record
    assert len(records) == 400
