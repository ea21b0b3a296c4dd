"""A small SMTP server on 127.0.0.1 that records the logins and messages it is given.

Enough of SMTP (RFC 5321) and SMTP AUTH (RFC 4954) for a real client such as
Keycloak's Jakarta Mail: EHLO/HELO, AUTH PLAIN and AUTH LOGIN (each with or
without an initial response), MAIL, RCPT, DATA, RSET, NOOP and QUIT, in plain
text. It accepts every login and every message, and relays nothing: a test
reads `logins` to see which password a client really sent.
"""

from __future__ import annotations

import base64
import binascii
import socketserver
import threading
import time
from dataclasses import dataclass
from types import TracebackType

HOST = "127.0.0.1"
_USERNAME_PROMPT = base64.b64encode(b"Username:").decode()
_PASSWORD_PROMPT = base64.b64encode(b"Password:").decode()


@dataclass(frozen=True)
class Login:
    mechanism: str
    username: str
    password: str


class _Cancelled(Exception):
    """The client answered a 334 challenge with `*` (RFC 4954) or hung up."""


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, *lines: str) -> None:
        *more, last = lines
        text = "".join(f"{line[:3]}-{line[4:]}\r\n" for line in more) + f"{last}\r\n"
        self.wfile.write(text.encode())

    def line(self) -> str | None:
        raw = self.rfile.readline(65536)
        return raw.decode("utf-8", "replace").rstrip("\r\n") if raw else None

    def challenge(self, prompt: str) -> str:
        self.reply(f"334 {prompt}")
        answer = self.line()
        if answer is None or answer == "*":
            raise _Cancelled
        return answer

    def handle(self) -> None:
        self.reply("220 localhost ESMTP recording test server")
        while (command := self.line()) is not None:
            verb, _, argument = command.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reply("250 localhost", "250 AUTH PLAIN LOGIN", "250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 localhost")
            elif verb == "AUTH":
                self.authenticate(argument)
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                self.receive_message()
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def authenticate(self, argument: str) -> None:
        mechanism, _, initial = argument.partition(" ")
        mechanism = mechanism.upper()
        try:
            if mechanism == "PLAIN":
                # authzid NUL authcid NUL passwd
                _authzid, username, password = _decode(initial or self.challenge("")).split("\0")
            elif mechanism == "LOGIN":
                username = _decode(initial or self.challenge(_USERNAME_PROMPT))
                password = _decode(self.challenge(_PASSWORD_PROMPT))
            else:
                self.reply("504 Unrecognized authentication type")
                return
        except _Cancelled:
            self.reply("501 Authentication cancelled")
            return
        except (ValueError, binascii.Error):
            self.reply("501 Cannot decode the response")
            return
        self.server.recorder.record_login(Login(mechanism, username, password))
        self.reply("235 Authentication successful")

    def receive_message(self) -> None:
        lines: list[str] = []
        while (text := self.line()) is not None and text != ".":
            lines.append(text[1:] if text.startswith("..") else text)
        self.server.recorder.record_message("\r\n".join(lines))
        self.reply("250 OK: queued")


def _decode(text: str) -> str:
    return base64.b64decode(text, validate=True).decode()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, recorder: RecordingSmtpServer) -> None:
        super().__init__((HOST, 0), _Session)  # port 0: a free port
        self.recorder = recorder


class RecordingSmtpServer:
    """Serves on `HOST`:`port` from `start()` (or `with`) until `stop()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logins: list[Login] = []
        self._messages: list[str] = []
        self._server = _Server(self)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so that stop() returns at once
            name=f"smtp-{self.port}",
            daemon=True,
        )

    def record_login(self, login: Login) -> None:
        with self._lock:
            self._logins.append(login)

    def record_message(self, message: str) -> None:
        with self._lock:
            self._messages.append(message)

    @property
    def logins(self) -> list[Login]:
        with self._lock:
            return list(self._logins)

    @property
    def messages(self) -> list[str]:
        with self._lock:
            return list(self._messages)

    def wait_for_logins(self, count: int, timeout: float) -> list[Login]:
        deadline = time.monotonic() + timeout
        while len(logins := self.logins) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(logins)} SMTP logins after {timeout}s, not {count}")
            time.sleep(0.05)
        return logins

    def start(self) -> RecordingSmtpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def __enter__(self) -> RecordingSmtpServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
