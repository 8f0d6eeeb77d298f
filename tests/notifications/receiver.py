"""A webhook receiver for the tests: what it answers (Reply) and what it got (Received); the
`receiver` fixture (conftest.py) serves Handler on loopback in a thread."""

import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler


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

    def json(self) -> dict:
        return json.loads(self.body)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        server.received.append(Received(self.path, dict(self.headers.items()), body))
        reply = server.replies.pop(0) if server.replies else Reply()
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
            pass  # the client gave up waiting (the timeout tests)

    do_GET = do_POST  # a followed redirect would come back as a GET

    def log_message(self, format, *args) -> None:  # noqa: A002  (the base class's name)
        pass
