"""Frames between the gateway and a worker over a socketpair.

A request is ``(id, length, kind)`` followed by the body; a response is
``(id, length, status)`` followed by JSON. Length-prefixed frames let the
worker read every request that arrived while it was busy in one go, which is
what lets it score them as one batch.
"""

from __future__ import annotations

import struct

REQUEST = struct.Struct("!IIB")
RESPONSE = struct.Struct("!IIH")
KIND_SCORE = 0
KIND_PING = 1
READY_ID = 0  # the worker's first frame: 200 once init() succeeded, 500 with the reason otherwise


def request_frame(request_id: int, body: bytes, kind: int = KIND_SCORE) -> bytes:
    return REQUEST.pack(request_id, len(body), kind) + body


def response_frame(request_id: int, status: int, body: bytes) -> bytes:
    return RESPONSE.pack(request_id, len(body), status) + body


def split_requests(buffer: bytearray) -> list[tuple[int, int, bytes]]:
    """Complete (id, kind, body) frames at the front of ``buffer``; consumes them."""
    frames, offset, size = [], 0, REQUEST.size
    while len(buffer) - offset >= size:
        request_id, length, kind = REQUEST.unpack_from(buffer, offset)
        end = offset + size + length
        if len(buffer) < end:
            break
        frames.append((request_id, kind, bytes(buffer[offset + size:end])))
        offset = end
    del buffer[:offset]
    return frames
