"""A local stand-in for Postmark's batch endpoint, for the dispatch benchmark: `POST /email/batch` with a
JSON array of messages answers, after a fixed latency, one result per message in Postmark's shape
(tests/fixtures/esp/postmark_email_batch.response.json); `POST /email` answers one. Every accepted message
is counted (`GET /count`). It listens on 127.0.0.1 only.

    python -m bench.fake_postmark PORT LATENCY_SECONDS
"""

import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUBMITTED_AT = "2016-03-12T15:27:50.4468803-05:00"


class FakePostmark(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Postmark's API
    latency = 0.05
    accepted = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        started = time.monotonic()
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
        if self.path == "/email/batch" and isinstance(body, list):
            answer = [self._accept(message) for message in body]
        elif self.path == "/email" and isinstance(body, dict):
            answer = self._accept(body)
        else:
            self._reply(422, {"ErrorCode": 300, "Message": "Invalid email request"})
            return
        with FakePostmark.lock:
            FakePostmark.accepted += len(answer) if isinstance(answer, list) else 1
        time.sleep(max(0.0, self.latency - (time.monotonic() - started)))
        self._reply(200, answer)

    def do_GET(self) -> None:
        self._reply(200, {"accepted": FakePostmark.accepted})

    @staticmethod
    def _accept(message: dict) -> dict:
        return {"ErrorCode": 0, "Message": "OK", "To": message.get("To", ""), "SubmittedAt": SUBMITTED_AT,
                "MessageID": str(uuid.uuid4())}  # fmt: skip

    def _reply(self, status: int, payload) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args) -> None:  # quiet
        pass


def serve(port: int, latency: float) -> ThreadingHTTPServer:
    FakePostmark.latency = latency
    server = ThreadingHTTPServer(("127.0.0.1", port), FakePostmark)
    server.daemon_threads = True
    return server


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2])).serve_forever()
