"""A loopback HTTP proxy in front of SPAR that fails some calls on purpose.

Fault drills need SPAR to misbehave the way networks and servers do: answer
HTTP 500, or drop the connection without an answer. The proxy forwards
everything else to the real mapper unchanged (signature headers included) and
records, per SPAR id, the order in which requests reached SPAR, so that a test
can check per-registrant order after the storm.
"""

import http.client
import json
import random
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class FaultProxy:
    """``with FaultProxy(upstream, failure_rate=0.2) as proxy: proxy.url``."""

    def __init__(self, upstream_url, failure_rate=0.0, seed=0):
        upstream = urlsplit(upstream_url)
        self.upstream = (upstream.hostname, upstream.port)
        self.failure_rate = failure_rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        # [(action, spar id, fa, reference id)] in the order SPAR received them.
        self.forwarded = []
        self.failures = {"http_500": 0, "reset": 0}
        self.calls = 0
        self._failing_call = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _draw_fault(self):
        """One call at a seeded random place in each run of 1/rate calls,
        the two kinds taking turns: a drill of a dozen calls sees both
        kinds, at the rate asked, every time."""
        with self.lock:
            if not self.failure_rate:
                return None
            window = max(1, round(1 / self.failure_rate))
            position = self.calls % window
            self.calls += 1
            if position == 0 or self._failing_call is None:
                self._failing_call = self.random.randrange(position, window)
            if position != self._failing_call:
                return None
            fault = ("http_500", "reset")[sum(self.failures.values()) % 2]
            self.failures[fault] += 1
            return fault

    def _record(self, body):
        try:
            envelope = json.loads(body)
            action = envelope["header"]["action"]
            items = envelope["message"][f"{action}_request"]
        except (ValueError, KeyError, TypeError):
            return
        with self.lock:
            self.forwarded += [
                (action, i.get("id"), i.get("fa"), i.get("reference_id")) for i in items
            ]

    def _forward(self, method, path, body, headers):
        connection = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def _relay(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                fault = proxy._draw_fault() if method == "POST" else None
                if fault == "reset":
                    # RST instead of FIN: the client sees a connection reset.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    return
                if fault == "http_500":
                    data = b'{"errors":[{"code":"G2P-REQ-100","message":"drill"}]}'
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if body:
                    proxy._record(body)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "connection")
                }
                status, response_headers, data = proxy._forward(
                    method, self.path, body, headers
                )
                self.send_response(status)
                for key, value in response_headers:
                    if key.lower() not in ("transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._relay("GET")

            def do_POST(self):
                self._relay("POST")

        return Handler
