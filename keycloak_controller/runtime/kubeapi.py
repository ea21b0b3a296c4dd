"""A thin JSON-over-REST layer on the official client's ApiClient.

Thread safety: the generated API classes keep per-call state (`last_response`,
model deserialisation) and promise nothing. This layer uses only
`ApiClient.param_serialize` (reads configuration, builds a URL) and
`ApiClient.call_api` (hands the request to urllib3's PoolManager, which is
thread-safe). Neither mutates the ApiClient, so one KubeApi is shared by all
informer and worker threads, and the pool is sized to watches + workers (see
manager.py) so no thread waits for a connection. Leader election gets its own
ApiClient so a busy pool can never delay a renewal.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator, Mapping
from typing import Any

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
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        method_, url, header_params, body_, post_params = self.api_client.param_serialize(
            method,
            path,
            query_params=params,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response = self.api_client.call_api(
            method_, url, header_params, body_, post_params, _request_timeout=timeout
        )
        raw: urllib3.BaseHTTPResponse = response.response
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
