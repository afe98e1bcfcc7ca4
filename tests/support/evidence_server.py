"""A real HTTP evidence endpoint on loopback for delivery tests.

It records every POST body by its Idempotency-Key. ``fail_first`` answers
the first N requests with 503; ``stop()`` closes it (connection refused).
"""

import http.server
import socket
import threading


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EvidenceServer:
    def __init__(self, port=None, fail_first=0):
        self.port = port or free_port()
        self.fail_first = fail_first
        self.requests = 0
        self.received = {}          # idempotency key -> list of bodies
        self.headers_seen = []
        self._server = None
        self._thread = None

    @property
    def url(self):
        return "http://127.0.0.1:%d/v1/evidence" % self.port

    def start(self):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.requests += 1
                owner.headers_seen.append(dict(self.headers))
                if owner.requests <= owner.fail_first:
                    self.send_response(503)
                    self.end_headers()
                    return
                key = self.headers.get("Idempotency-Key")
                duplicate = key in owner.received
                owner.received.setdefault(key, []).append(body)
                self.send_response(409 if duplicate else 201)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
