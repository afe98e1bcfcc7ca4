"""A real HTTP server for model files, for tests (loopback by default).

    with ModelServer(root) as server:
        url = server.url("tiny.gguf")
        ...
        server.requests      # one dict per request, in order

It serves the files under ``root`` with ``Content-Length`` and honours
``Range: bytes=N-`` / ``bytes=N-M`` (206 with ``Content-Range``; 416 with
``Content-Range: bytes */<size>`` when N is past the end). Modes, all
attributes that a test may change while the server runs:

* ``auth``: when set, a request whose ``Authorization`` header is not
  exactly this value gets 401 (the log says whether the header was sent and
  whether it matched, never its value);
* ``drop_after``: the next GET of a file sends its headers, this many body
  bytes, then closes the connection (once; then it is reset to None);
* ``corrupt``: every body has one byte flipped (same length), so the digest
  never matches;
* ``ignore_range``: answer 200 with the whole file even to a range request;
* ``fail_status``: answer every request with this status (e.g. 503);
* ``redirects``: ``{"name": "http://elsewhere/..."}`` answers 302 to that
  location for that file.

Each entry of ``requests``: ``{"method", "path", "range", "authorization":
"absent"|"matched"|"wrong", "status", "body_bytes", "dropped"}``.

Run it stand-alone (for example inside a test network; standard library only):
``python3 tests/support/model_server.py --root DIR --host 0.0.0.0 --port 8000
[--auth VALUE] [--drop-after N] [--corrupt] [--ignore-range]``.
"""

import argparse
import http.server
import os
import re
import socket
import threading
import urllib.parse

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
_CHUNK = 64 * 1024


class ModelServer:
    def __init__(self, root, host="127.0.0.1", port=0, auth=None, drop_after=None, corrupt=False,
                 ignore_range=False, fail_status=None, redirects=None):
        self.root = os.path.abspath(str(root))
        self.host = host
        self.port = port
        self.auth = auth
        self.drop_after = drop_after
        self.corrupt = corrupt
        self.ignore_range = ignore_range
        self.fail_status = fail_status
        self.redirects = dict(redirects or {})
        self.requests = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # -- addresses -----------------------------------------------------
    def url(self, name):
        """URL of a file under root (``name`` relative to root)."""
        host = self.host if self.host not in ("0.0.0.0", "") else "127.0.0.1"
        return "http://%s:%d/%s" % (host, self.port, urllib.parse.quote(name))

    # -- lifecycle -----------------------------------------------------
    def start(self):
        self._server = http.server.ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
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

    # -- what the handler asks ------------------------------------------
    def _take_drop(self):
        with self._lock:
            drop, self.drop_after = self.drop_after, None
            return drop

    def _log(self, entry):
        with self._lock:
            self.requests.append(entry)


def _handler_for(owner):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_HEAD(self):  # noqa: N802 (http.server naming)
            self._serve(body=False)

        def do_GET(self):  # noqa: N802
            self._serve(body=True)

        def log_message(self, *args):
            pass

        def _authorization(self):
            sent = self.headers.get("Authorization")
            if sent is None:
                return "absent"
            return "matched" if sent == owner.auth else "wrong"

        def _serve(self, body):
            entry = {"method": self.command, "path": urllib.parse.unquote(urllib.parse.urlsplit(self.path).path),
                     "range": self.headers.get("Range"), "authorization": self._authorization(),
                     "status": None, "body_bytes": 0, "dropped": False}
            # Logged (and filled in) before anything is sent, so a client that got an answer finds it logged.
            owner._log(entry)  # pylint: disable=protected-access
            self._answer(entry, body)

        def _answer(self, entry, body):
            if owner.fail_status:
                return self._status_only(entry, owner.fail_status)
            if owner.auth is not None and entry["authorization"] != "matched":
                return self._status_only(entry, 401)
            if entry["path"].lstrip("/") in owner.redirects:
                return self._status_only(entry, 302, {"Location": owner.redirects[entry["path"].lstrip("/")]})
            path = os.path.normpath(os.path.join(owner.root, entry["path"].lstrip("/")))
            if not path.startswith(owner.root + os.sep) or not os.path.isfile(path):
                return self._status_only(entry, 404)
            with open(path, "rb") as handle:
                data = handle.read()
            if owner.corrupt and data:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            start, end, status = 0, len(data), 200
            match = _RANGE.match(entry["range"] or "")
            if match and not owner.ignore_range:
                start = int(match.group(1))
                end = min(int(match.group(2)) + 1, len(data)) if match.group(2) else len(data)
                if start >= len(data):
                    return self._status_only(entry, 416, {"Content-Range": "bytes */%d" % len(data)})
                status = 206
            entry["status"] = status
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(end - start))
            self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))
            self.end_headers()
            if body:
                self._send_body(entry, data[start:end])
            return None

        def _send_body(self, entry, payload):
            drop = owner._take_drop() if self.command == "GET" else None  # pylint: disable=protected-access
            if drop is not None and drop < len(payload):
                entry["body_bytes"], entry["dropped"] = drop, True
                self.wfile.write(payload[:drop])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            entry["body_bytes"] = len(payload)
            for offset in range(0, len(payload), _CHUNK):
                self.wfile.write(payload[offset:offset + _CHUNK])

        def _status_only(self, entry, status, headers=None):
            entry["status"] = status
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def main():
    parser = argparse.ArgumentParser(description="Serve model files with Range support")
    parser.add_argument("--root", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--auth", help="required Authorization header value")
    parser.add_argument("--drop-after", type=int, help="drop the first GET after this many body bytes")
    parser.add_argument("--corrupt", action="store_true", help="flip one byte of every body")
    parser.add_argument("--ignore-range", action="store_true", help="answer 200 with the whole file to range requests")
    args = parser.parse_args()
    server = ModelServer(args.root, host=args.host, port=args.port, auth=args.auth, drop_after=args.drop_after,
                         corrupt=args.corrupt, ignore_range=args.ignore_range).start()
    print("serving %s on %s:%d" % (server.root, server.host, server.port), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
