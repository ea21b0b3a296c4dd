"""structlog logs, JSON or console; reconcile context (controller, key, reconcile_id)
rides contextvars.

Contextvars are per thread, so each worker's bound keys never leak into another's lines.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, TextIO, cast

import structlog

LogFormat = Literal["json", "console"]


def configure(
    level: int = logging.INFO,
    stream: TextIO | None = None,
    *,
    log_format: LogFormat = "json",
) -> None:
    """Route structlog and stdlib logging through one renderer.

    `json` (the default, for log pipelines): one JSON object per line with an
    ISO UTC timestamp. `console`: readable, coloured lines for a person at a
    terminal; it renders tracebacks itself.
    """
    console = log_format == "console"
    out = _LineStream(stream or sys.stderr)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="%H:%M:%S" if console else "iso", utc=not console),
    ]
    renderer: list[Any] = (
        [structlog.dev.ConsoleRenderer()]
        if console
        else [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    )
    structlog.configure(
        processors=[*shared, *renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # WriteLogger uses only write and flush, all _LineStream has.
        logger_factory=structlog.WriteLoggerFactory(cast(TextIO, out)),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


class _LineStream:
    """The one stream both loggers write to, each record as one write under one lock.

    structlog and stdlib logging (urllib3, the informer) each lock only their own
    writes, and PrintLogger writes a record and its newline separately: two threads
    logging at once produced one line holding two records and a blank line, which
    a JSON reader drops (an audit record among them). Both loggers write a whole
    line per call (WriteLogger, StreamHandler), so one lock here keeps lines whole.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            return self._stream.write(text)

    def flush(self) -> None:
        with self._lock:
            self._stream.flush()


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger


@contextmanager
def reconcile_context(controller: str, key: str, reconcile_id: str) -> Iterator[None]:
    with structlog.contextvars.bound_contextvars(
        controller=controller, key=key, reconcile_id=reconcile_id
    ):
        yield
