"""The audit trail of Keycloak writes, and the fence that stops them when leadership ends.

Three parties know one part each of what an audit record needs, so each binds
its part in a context variable of the worker thread and the transport combines
them right before a request goes on the wire:

- the manager binds the *writer* around every reconcile: the Lease holder
  identity of this process and its fence (`may_write`, true while the lease was
  renewed recently enough, see leaderelection.py);
- the reconcile skeleton binds the *subject* around every planned change: the
  custom resource and the field path of the change (never a value);
- the transport calls `keycloak_write` with the instance, method and path.

A record is logged before the request is sent (so a write in flight when the
process dies is still on record) and a second one when it ends, with the status.
Both carry `write_id`, so the two make the write's interval.

Reads are not recorded. A write outside any writer scope (a test's own admin
client, a tool) is recorded with `leader` null and is never fenced.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .logging import get_logger

log = get_logger("keycloak_controller.audit")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE = "keycloak write"
WRITE_DONE = "keycloak write done"
WRITE_REFUSED = "keycloak write refused"


def _always() -> bool:
    return True


@dataclass(frozen=True)
class Writer:
    """Who writes: this process's Lease holder identity and the fence on its writes."""

    identity: str | None
    may_write: Callable[[], bool] = _always


@dataclass(frozen=True)
class Subject:
    """What a write is for: the custom resource and the planned change's field path."""

    kind: str
    namespace: str
    name: str
    change: str | None = None
    verb: str | None = None


_writer: ContextVar[Writer | None] = ContextVar("audit_writer", default=None)
_subject: ContextVar[Subject | None] = ContextVar("audit_subject", default=None)


class WriteFenced(RuntimeError):
    """A Keycloak write was refused: this process no longer holds a valid lease.

    Deliberately not a Keycloak error: the reconcile fails without reporting a
    status (another replica leads now) and the work goes back to the queue.
    """


@contextmanager
def as_writer(writer: Writer) -> Iterator[None]:
    token = _writer.set(writer)
    try:
        yield
    finally:
        _writer.reset(token)


@contextmanager
def about(subject: Subject) -> Iterator[None]:
    token = _subject.set(subject)
    try:
        yield
    finally:
        _subject.reset(token)


def current_writer() -> Writer | None:
    return _writer.get()


def current_subject() -> Subject | None:
    return _subject.get()


def realm_of(path: str) -> str | None:
    """The realm an Admin API path is in: /admin/realms/<realm>/... (None for /admin/realms)."""
    parts = path.split("?", 1)[0].split("/")
    if len(parts) > 3 and parts[1:3] == ["admin", "realms"] and parts[3]:
        return unquote(parts[3])
    return None


def _fields(instance: str, method: str, path: str) -> dict[str, Any]:
    writer, subject = _writer.get(), _subject.get()
    return {
        "leader": writer.identity if writer is not None else None,
        "cr_kind": subject.kind if subject is not None else None,
        "cr_namespace": subject.namespace if subject is not None else None,
        "cr_name": subject.name if subject is not None else None,
        "change": subject.change if subject is not None else None,
        "verb": subject.verb if subject is not None else None,
        "keycloak": instance,
        "realm": realm_of(path),
        "method": method.upper(),
        "path": path.split("?", 1)[0],
    }


@dataclass
class WriteOutcome:
    """Set by the caller once the response is in; logged with the closing record."""

    status: int | None = None


@contextmanager
def keycloak_write(instance: str, method: str, path: str) -> Iterator[WriteOutcome]:
    """Fence and record one Admin API request; reads pass through unrecorded.

    Raises WriteFenced, before anything is sent, when the writer's fence is shut.
    """
    outcome = WriteOutcome()
    if method.upper() in READ_METHODS:
        yield outcome
        return
    fields = _fields(instance, method, path)
    writer = _writer.get()
    if writer is not None and not writer.may_write():
        log.warning(WRITE_REFUSED, **fields)
        raise WriteFenced(f"not writing {method.upper()} {fields['path']}: leadership lost")
    write_id = uuid.uuid4().hex[:16]
    log.info(WRITE, write_id=write_id, **fields)
    started = time.monotonic()
    error: str | None = None
    try:
        yield outcome
    except BaseException as exc:
        error = type(exc).__name__
        raise
    finally:
        log.info(
            WRITE_DONE,
            write_id=write_id,
            status=outcome.status,
            error=error,
            seconds=round(time.monotonic() - started, 4),
            **fields,
        )
