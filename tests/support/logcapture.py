"""Capture what the in-process controllers log, rendered exactly as in production.

`captured_logs()` points the runtime's logging configuration (structlog and the
stdlib root logger, JSON renderer, tracebacks included) at a buffer for the
duration of a `with` block, then puts the previous configuration back. Logging
is process-global, so use it in a test that runs alone in its process, as
every test does under xdist.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from keycloak_controller.runtime import logging as runtime_logging


class _Buffer(io.StringIO):
    """A StringIO whose writes from many threads never interleave mid-line."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            return super().write(text)

    def getvalue(self) -> str:
        with self._lock:
            return super().getvalue()


@contextmanager
def captured_logs(level: int = logging.DEBUG) -> Iterator[io.StringIO]:
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, root_level = list(root.handlers), root.level
    buffer = _Buffer()
    runtime_logging.configure(level, buffer)
    try:
        yield buffer
    finally:
        structlog.configure(**saved)
        root.handlers = handlers
        root.setLevel(root_level)
