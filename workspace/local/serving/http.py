"""A small HTTP/1.1 server on an asyncio protocol: keep-alive, Content-Length bodies, a size limit.

The gateway's whole HTTP surface is a POST with a JSON body and a few GETs, so
a hand-written parser beats a general framework by a wide margin here (there
is no httptools among our runtime dependencies, and h11 in pure Python halves the
throughput). Anything it does not speak gets a clear 4xx and the connection
is closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Awaitable, Callable

Handler = Callable[[str, str, dict, bytes], Awaitable[tuple[int, dict, bytes]]]
MAX_HEAD = 64 * 1024
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
           408: "Request Timeout", 411: "Length Required", 413: "Payload Too Large", 429: "Too Many Requests",
           431: "Request Header Fields Too Large", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout"}
_log = logging.getLogger("amlpilot.gateway")


def error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


def render(status: int, headers: dict, body: bytes, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}", "content-type: application/json",
             f"content-length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if not keep_alive:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class HttpProtocol(asyncio.Protocol):
    """One connection; requests are answered in order, one at a time."""

    def __init__(self, handler: Handler, max_body: int) -> None:
        self.handler = handler
        self.max_body = max_body
        self.buffer = bytearray()
        self.busy = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.busy:
            self._next()

    def _fail(self, status: int, message: str) -> None:
        if self.transport is not None:
            self.transport.write(render(status, {}, error_body(message), keep_alive=False))
            self.transport.close()
        self.busy = True  # nothing more is read from this connection

    def _next(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                self._fail(431, "the request head is too large")
            return
        try:
            request_line, *header_lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            method, target, version = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
        except ValueError:
            return self._fail(400, "malformed HTTP request")
        if "transfer-encoding" in headers:
            return self._fail(411, "send the body with a Content-Length (chunked bodies are not accepted)")
        if length > self.max_body:
            return self._fail(413, f"the body is {length} bytes; the limit is {self.max_body}")
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4:end + 4 + length])
        del self.buffer[:end + 4 + length]
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        self.busy = True
        asyncio.get_running_loop().create_task(self._respond(method, target, headers, body, keep_alive))

    async def _respond(self, method: str, target: str, headers: dict, body: bytes, keep_alive: bool) -> None:
        try:
            status, extra, payload = await self.handler(method, target, headers, body)
        except Exception:  # a gateway bug: logged here, one line to the caller, never a stack trace
            _log.exception("request %s %s failed in the gateway", method, target.split("?")[0])
            status, extra, payload = 500, {}, error_body("internal error in the gateway; see the gateway log")
        if self.transport is None:
            return
        self.transport.write(render(status, extra, payload, keep_alive))
        if not keep_alive:
            self.transport.close()
            return
        self.busy = False
        if self.buffer:
            self._next()
