"""A real HTTP receiver for webhook tests: http.server in a thread on 127.0.0.1, on a free port."""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    on: datetime = field(default_factory=lambda: datetime.now(UTC))  # wall-clock time of arrival


@dataclass
class Receiver:
    """Answers with the statuses in ``script`` in turn (then ``default``); ``hang`` makes it never answer (for
    ``hang_seconds``). ``payload`` replaces the answer's body; with ``withheld`` bytes more announced in its
    Content-Length than sent, it stalls after the body (for ``hang_seconds``)."""

    script: list[int] = field(default_factory=list)
    default: int = 200
    hang: bool = False
    hang_seconds: float = 60
    payload: bytes | None = None
    withheld: int = 0
    host: str = "127.0.0.1"
    tls: ssl.SSLContext | None = None
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}/hooks/tracker"

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.requests


def start_receiver(receiver: Receiver) -> Receiver:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body, time.monotonic()))
            if receiver.hang:
                receiver.release.wait(receiver.hang_seconds)
                return
            status = receiver.script.pop(0) if receiver.script else receiver.default
            payload = f"status {status}".encode() if receiver.payload is None else receiver.payload
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload) + receiver.withheld))
            self.end_headers()
            self.wfile.write(payload)
            if receiver.withheld:
                self.wfile.flush()
                receiver.release.wait(receiver.hang_seconds)

        def log_message(self, *args):
            pass

    receiver.server = ThreadingHTTPServer((receiver.host, 0), Handler)
    receiver.server.daemon_threads = True
    if receiver.tls is not None:
        receiver.server.socket = receiver.tls.wrap_socket(receiver.server.socket, server_side=True)
    # A short poll interval: shutdown() waits for the next poll (0.5 s by default, in every test that stops one).
    threading.Thread(target=receiver.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return receiver


def stop_receiver(receiver: Receiver) -> None:
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()
