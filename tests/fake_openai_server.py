"""A real OpenAI-compatible HTTP server on loopback that replays a scripted model.

Fake the model, not the world: the agent talks to this server over HTTP through
semantic-kernel's own OpenAI connector (provider
``openai-compatible:test@<server.url>``). The server answers
``POST /v1/chat/completions`` in plain JSON or, for ``"stream": true``, as SSE
chunks (text deltas and ``tool_calls`` deltas, then a usage chunk and
``[DONE]``). It records every request body, so a test can assert what the
model was offered and which tool results it saw.

Script entries::

    {"text": "All done."}
    {"tool_calls": [{"name": "compute-create", "arguments": {"name": "c1"}}]}
    {"status": 500, "error": "overloaded"}

When the script runs out the server repeats ``default`` (if given) or says
``"(script exhausted)"``. Use it as a context manager, or call ``start()`` and
``stop()``; the port is chosen free at start.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Iterator


class FakeOpenAI:
    def __init__(self, script: Iterable[dict[str, Any]] = (), *, default: dict[str, Any] | None = None) -> None:
        self.script = list(script)
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> "FakeOpenAI":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def model(self, name: str = "test") -> str:
        return f"openai-compatible:{name}@{self.url}"

    # -- what the model saw ----------------------------------------------------

    def offered_tools(self, index: int = -1) -> list[str]:
        return [t["function"]["name"] for t in self.requests[index].get("tools") or []]

    def tool_results(self, index: int = -1) -> list[str]:
        """The tool messages' contents in one request (default: the last)."""
        return [m.get("content") for m in self.requests[index]["messages"] if m.get("role") == "tool"]

    def all_tool_results(self) -> list[str]:
        """Every distinct tool result any request carried, in order of first appearance."""
        seen: dict[str, str] = {}
        for request in self.requests:
            for m in request["messages"]:
                if m.get("role") == "tool":
                    seen.setdefault(m.get("tool_call_id"), m.get("content"))
        return list(seen.values())

    # -- replies ---------------------------------------------------------------

    def _next(self, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            if self.script:
                return self.script.pop(0)
            return self.default or {"text": "(script exhausted)"}

    def _message(self, entry: dict[str, Any]) -> tuple[dict[str, Any], str]:
        calls = [
            {
                "id": call.get("id") or f"call_{next(self._ids)}",
                "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(call.get("arguments", {}))},
            }
            for call in entry.get("tool_calls", [])
        ]
        message: dict[str, Any] = {"role": "assistant", "content": entry.get("text")}
        if calls:
            message["tool_calls"] = calls
        return message, ("tool_calls" if calls else "stop")

    def completion(self, entry: dict[str, Any], model: str) -> dict[str, Any]:
        message, finish = self._message(entry)
        return {
            "id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }

    def chunks(self, entry: dict[str, Any], model: str) -> Iterator[dict[str, Any]]:
        message, finish = self._message(entry)
        base = {"id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

        yield chunk({"role": "assistant", "content": ""})
        text = message.get("content") or ""
        for start in range(0, len(text), 7):  # several deltas, so streaming is really exercised
            yield chunk({"content": text[start : start + 7]})
        for index, call in enumerate(message.get("tool_calls", [])):
            head = {"index": index, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}
            yield chunk({"tool_calls": [head]})
            arguments = call["function"]["arguments"]
            middle = len(arguments) // 2
            for piece in (arguments[:middle], arguments[middle:]):
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        yield chunk({}, finish)
        yield {**base, "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._json(404, {"error": {"message": f"no route {self.path}"}})
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            entry = fake._next(body, {k.lower(): v for k, v in self.headers.items()})
            if "status" in entry:
                return self._json(entry["status"], {"error": {"message": entry.get("error", "error"), "type": "server_error"}})
            model = body.get("model", "test")
            if body.get("stream"):
                return self._stream(fake.chunks(entry, model))
            self._json(200, fake.completion(entry, model))

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, chunks: Iterator[dict[str, Any]]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for item in chunks:
                self.wfile.write(f"data: {json.dumps(item)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler
