"""Serve a dashboard folder on 127.0.0.1: the page at ``/``, the score card (when there is one) at ``/scorecard``."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from workspace.errors import UserInputError

PAGES = {"/": "dashboard.html", "/index.html": "dashboard.html"}


class _Handler(SimpleHTTPRequestHandler):
    scorecard: Path | None = None

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0]
        if path in ("/scorecard", "/scorecard.html", "/scorecard.pdf") and self.scorecard is not None:
            name = "scorecard.pdf" if path.endswith(".pdf") else "scorecard.html"
            return self._file(self.scorecard / name, "application/pdf" if name.endswith(".pdf") else "text/html; charset=utf-8")
        if path in PAGES:
            self.path = "/" + PAGES[path]
        return super().do_GET()

    def _file(self, path: Path, content_type: str) -> None:
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Requests are not logged: the terminal shows the URL and nothing else."""


def start(folder: Path, port: int = 0, scorecard: Path | None = None) -> tuple[ThreadingHTTPServer, str]:
    """A server bound to 127.0.0.1 (port 0 picks a free one); the caller runs ``serve_forever`` and shuts it down."""
    folder = Path(folder)
    if not (folder / "dashboard.html").is_file():
        raise UserInputError.missing_path("dashboard", folder / "dashboard.html")
    handler = type("DashboardHandler", (_Handler,), {"scorecard": scorecard})
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(folder)))
    except OSError as exc:
        raise UserInputError.invalid("port", port, f"can't be used ({exc.strerror})") from None
    return server, f"http://127.0.0.1:{server.server_address[1]}/"
