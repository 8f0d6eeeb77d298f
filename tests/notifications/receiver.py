"""A webhook receiver for the tests: a real HTTP server on 127.0.0.1 in a thread (`serve`),
what it answers (Reply) and what it got (Received). The `receiver` fixture (conftest.py) and
the integration tests use it."""

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0  # seconds before answering (a timeout when above the client's)


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    client_port: int = 0

    def json(self) -> dict:
        return json.loads(self.body)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        request = Received(self.path, dict(self.headers.items()), body, self.client_address[1])
        with server.lock:
            server.received.append(request)
            action = server.actions.pop(len(server.received), None)
            reply = server.replies.pop(0) if server.replies else Reply()
        if action:  # the n-th request has arrived, and waits for its answer
            action(request)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            pass  # the client gave up waiting (the timeout tests), or was killed

    do_GET = do_POST  # a followed redirect would come back as a GET

    def log_message(self, format, *args) -> None:  # noqa: A002  (the base class's name)
        pass


class Receiver(ThreadingHTTPServer):
    """`.url`; `.received`, the requests in order; `.replies`, what the next requests get (then
    200s); `on_request(n, action)`, run `action(request)` when the n-th has arrived."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.replies: list[Reply] = []
        self.actions: dict[int, Callable[[Received], None]] = {}
        self.url = f"http://127.0.0.1:{self.server_port}/hooks/alignment"

    def on_request(self, n: int, action: Callable[[Received], None]) -> threading.Event:
        done = threading.Event()

        def run(request: Received) -> None:
            try:
                action(request)
            finally:
                done.set()

        self.actions[n] = run
        return done


@contextlib.contextmanager
def serve() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
