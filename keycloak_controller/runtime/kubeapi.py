"""A thin JSON-over-REST layer on the official client's ApiClient.

Thread safety: the generated API classes keep per-call state (`last_response`,
model deserialisation) and promise nothing. This layer takes from the
ApiClient only its configuration (host, default headers, the bearer token
through `update_params_for_auth`, which re-reads a rotated token file) and its
urllib3 PoolManager (thread-safe, with the TLS and proxy settings), and sends
the request itself. Nothing here mutates the ApiClient, so one KubeApi is shared
by all informer and worker threads, and the pool is sized to watches + workers
(see manager.py) so no thread waits for a connection. Leader election gets its
own ApiClient so a busy pool can never delay a renewal.

Why not `param_serialize` + `call_api`: every body is already plain JSON, and
those walk it (`sanitize_for_serialization`) and the headers again per request;
with the layers of `RESTClientObject.request` that was most of this layer's own
CPU: about 70 us above urllib3 for a status patch before, 15 us now (measured
with the pool stubbed out, docs/performance.md). Configuration options that
only the generated path honours (`client_go_retries`) are not used.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import urllib3
from kubernetes import client as k8s

from .objects import JSON

ApiException = k8s.ApiException

# A hung TCP path must not hang a worker forever (python#1148); requests are small.
DEFAULT_REQUEST_TIMEOUT = (10.0, 30.0)


class WatchStream:
    """Lines of one streaming response; `close()` unblocks a reader from another thread."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response

    def events(self) -> Iterator[JSON]:
        buffer = b""
        for chunk in self._response.stream(amt=None, decode_content=True):
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.strip():
                    event = json.loads(line)
                    assert isinstance(event, dict)
                    yield event
        if buffer.strip():
            event = json.loads(buffer)
            assert isinstance(event, dict)
            yield event

    def close(self) -> None:
        # Shutting the socket down makes a blocked read return at once;
        # `close()` alone waits for the read to finish on some Python builds.
        try:
            sock = getattr(getattr(self._response, "_fp", None), "fp", None)
            raw = getattr(sock, "raw", None)
            inner = getattr(raw, "_sock", None)
            if inner is not None:
                inner.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._response.close()


def _query_value(value: Any) -> str:
    """A query value encoded as the generated client's `parameters_to_url_query` does."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return quote(str(value))


def _timeout(timeout: float | tuple[float, float] | None) -> urllib3.Timeout | None:
    if timeout is None:
        return None
    if isinstance(timeout, tuple):
        return urllib3.Timeout(connect=timeout[0], read=timeout[1])
    return urllib3.Timeout(total=timeout)


class KubeApi:
    def __init__(self, api_client: k8s.ApiClient) -> None:
        self.api_client = api_client

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | tuple[float, float] | None = DEFAULT_REQUEST_TIMEOUT,
    ) -> urllib3.BaseHTTPResponse:
        client = self.api_client
        headers: dict[str, str] = {"Accept": "application/json", **client.default_headers}
        if client.cookie:
            headers["Cookie"] = client.cookie
        data: str | bytes | None = None
        if body is not None:
            headers["Content-Type"] = content_type
            # A str or bytes body is sent as it is (a server-side apply body).
            data = body if isinstance(body, str | bytes) else json.dumps(body)
        client.update_params_for_auth(headers, None, ["BearerToken"], path, method, None)
        url = client.configuration.host + path
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        if params:
            url += "?" + "&".join(f"{k}={_query_value(v)}" for k, v in params)
        try:
            raw: urllib3.BaseHTTPResponse = client.rest_client.pool_manager.urlopen(
                method,
                url,
                body=data,
                headers=headers,
                timeout=_timeout(timeout),
                preload_content=False,
            )
        except urllib3.exceptions.SSLError as error:
            # As the generated client reports it.
            raise ApiException(status=0, reason=f"{type(error).__name__}\n{error}") from None
        if not 200 <= raw.status <= 299:
            text = raw.data.decode("utf-8", "replace")
            raw.release_conn()
            raise ApiException(status=raw.status, reason=raw.reason, body=text)
        return raw

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | tuple[float, float] | None = DEFAULT_REQUEST_TIMEOUT,
    ) -> JSON:
        raw = self._send(
            method, path, query=query, body=body, content_type=content_type, timeout=timeout
        )
        try:
            data = raw.data
        finally:
            raw.release_conn()
        decoded = json.loads(data) if data else {}
        assert isinstance(decoded, dict)
        return decoded

    def get(self, path: str, **query: Any) -> JSON:
        return self.request("GET", path, query=query)

    def stream(self, path: str, *, query: Mapping[str, Any], read_timeout: float) -> WatchStream:
        raw = self._send(
            "GET", path, query=query, timeout=(DEFAULT_REQUEST_TIMEOUT[0], read_timeout)
        )
        return WatchStream(raw)


def status_reason(error: ApiException) -> str:
    """The `reason` of the Status body, e.g. `Expired`, `Gone`, `Conflict`."""
    try:
        body = json.loads(error.body or "{}")
    except ValueError:
        return ""
    return str(body.get("reason", "")) if isinstance(body, dict) else ""
