"""A tiny local HTTP server that plays Keycloak's token endpoint and a scripted API.

Each test queues the responses the "Admin API" should give, in order; the
server records every request so tests can count attempts and inspect headers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Scripted:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FakeKeycloak:
    def __init__(self, token_lifetime: int = 60) -> None:
        self.script: list[Scripted] = []
        self.seen: list[Seen] = []
        self.token_requests: list[str] = []
        self.token_lifetime = token_lifetime
        self.token_counter = 0
        self.default = Scripted(200, {"ok": True})
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if "/protocol/openid-connect/token" in self.path:
                    fake.token_requests.append(body.decode())
                    fake.token_counter += 1
                    self._reply(
                        Scripted(
                            200,
                            {
                                "access_token": f"token-{fake.token_counter}",
                                "expires_in": fake.token_lifetime,
                                "refresh_token": f"refresh-{fake.token_counter}",
                                "refresh_expires_in": 1800,
                            },
                        )
                    )
                    return
                fake.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                self._reply(fake.script.pop(0) if fake.script else fake.default)

            def _reply(self, r: Scripted) -> None:
                data = b"" if r.body is None else json.dumps(r.body).encode()
                self.send_response(r.status)
                for k, v in r.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def respond(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None, times: int = 1
    ) -> FakeKeycloak:
        """Queue the next Admin API response(s)."""
        self.script.extend([Scripted(status, body, headers or {})] * times)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeKeycloak]:
    server = FakeKeycloak()
    yield server
    server.stop()
