"""Reconcile logs are JSON and carry controller, key and reconcile_id."""

from __future__ import annotations

import io
import json
import logging

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
