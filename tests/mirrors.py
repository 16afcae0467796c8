"""Local HTTP servers standing in for the public mirrors the data sets are downloaded from.

``serve(files)`` starts a real server on a free port of 127.0.0.1 that answers a
GET with the file named by the request path's last part, and 404 for any other;
the download tests point the download code at such servers instead of the
internet.
"""

from __future__ import annotations

import http.server
import threading
from typing import ClassVar

POLL_SECONDS = 0.05


class MirrorHandler(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.files.get(self.path.rsplit("/", 1)[-1])
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def serve(files: dict[str, bytes]) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A running server of ``files`` and its base URL (ending in ``/``)."""
    handler = type("Handler", (MirrorHandler,), {"files": files})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # a short poll interval: shutdown() waits for the next poll
    threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/data/"
