"""A stand-in for the Wikidata Query Service on 127.0.0.1, for offline tests of
`plea embassies refresh`: it answers each query with a recorded response from tests/data/sparql/,
chosen by the host code in the query, and remembers what it was asked (path, headers).

    with SparqlServer({"US": "us_missions.json"}) as server:
        monkeypatch.setenv("PLEA_WIKIDATA_ENDPOINT", server.url)

A response can also be a status code (int) or "slow" (no answer for a few seconds: a timeout).
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).resolve().parent / "data" / "sparql"
_HOST = re.compile(r'wdt:P297 "([A-Z]{2})"')


class SparqlServer:
    def __init__(self, answers: dict[str, str | int]) -> None:
        self.answers = answers
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()  # ends a "slow" answer early (at shutdown)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parsed = urllib.parse.urlsplit(self.path)
                params = urllib.parse.parse_qs(parsed.query)
                query = params.get("query", [""])[0]
                match = _HOST.search(query)
                host = match.group(1) if match else ""
                server.requests.append({"path": parsed.path, "host": host, "params": params,
                                        "headers": dict(self.headers.items())})
                answer = server.answers.get(host, "empty.json")
                try:
                    if answer == "slow":
                        server.release.wait(5)
                        return
                    if isinstance(answer, int):
                        body = b"java.util.concurrent.TimeoutException" if answer == 500 else b"busy"
                        self.send_response(answer)
                        if answer == 429:
                            self.send_header("Retry-After", "30")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                        return
                    body = (RECORDED / answer).read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/sparql-results+json;charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sparql"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SparqlServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def closed_port() -> str:
    """An endpoint URL on 127.0.0.1 where nothing listens (as when offline)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/sparql"
