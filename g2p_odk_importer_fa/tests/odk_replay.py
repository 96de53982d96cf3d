"""Replay responses recorded from a real ODK Central on a loopback server.

The fixtures (``fixtures/central_*.json`` next to this file) are written by
``scripts/odk_record.py`` while it talks to a running Central; this server
answers the same requests with the same responses, so the importer's tests
and benchmark exercise Central's real answers without Central. A request
that was never recorded gets a 599 answer naming it, so a test fails loudly
instead of passing on invented data.

The recorded password is stored as ``<password>``; the server accepts
``password`` (given to it) in its place and answers the recorded 401 to
anything else. Other requests need the recorded token, as Central would.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PASSWORD_PLACEHOLDER = "<password>"
NOT_RECORDED = 599


def load_fixtures(*names):
    """Load fixture files (default: every ``central_*.json``) into one dict."""
    paths = [FIXTURES / n for n in names] or sorted(FIXTURES.glob("central_*.json"))
    merged = {"exchanges": []}
    for path in paths:
        data = json.loads(path.read_text())
        merged["exchanges"].extend(data.pop("exchanges"))
        merged.update(data)
    return merged


def recorded_feed(fixtures, phase="initial"):
    """The submissions Central answered in the feed pages of ``phase``."""
    return [
        submission
        for exchange in fixtures["exchanges"]
        if exchange["phase"] == phase and exchange["name"].startswith("feed page")
        for submission in exchange["response"]["body"]["value"]
    ]


def request_key(method, path, query):
    return (method.upper(), path, tuple(sorted(query.items())))


class ReplayServer:
    """Serve recorded exchanges of one phase at a time on 127.0.0.1."""

    def __init__(self, fixtures, password="replay-password", phase="initial"):
        self.fixtures = fixtures
        self.password = password
        self.phase = phase
        self.requests = []
        self._server = None
        self._thread = None

    # -- lookup ----------------------------------------------------------

    def _candidates(self):
        return [
            e
            for e in self.fixtures["exchanges"]
            if e.get("phase", self.phase) in (self.phase, "any")
        ]

    def _find(self, name):
        for exchange in self._candidates():
            if exchange["name"] == name:
                return exchange
        for exchange in self.fixtures["exchanges"]:
            if exchange["name"] == name:
                return exchange
        raise KeyError(name)

    def respond(self, method, path, query, body, authorization):
        """Return ``(status, body)`` for one request."""
        self.requests.append((method, path, query))
        if method == "POST" and path == "/v1/sessions":
            try:
                sent = json.loads(body or b"{}")
            except ValueError:
                sent = {}
            good = self._find("login")
            if (
                sent.get("email") == good["request"]["body"]["email"]
                and sent.get("password") == self.password
            ):
                return good["response"]["status"], good["response"]["body"]
            bad = self._find("login_wrong_password")
            return bad["response"]["status"], bad["response"]["body"]
        token = self._find("login")["response"]["body"]["token"]
        if authorization != f"Bearer {token}":
            unauth = self._find("unauthenticated")
            return unauth["response"]["status"], unauth["response"]["body"]
        key = request_key(method, path, query)
        for exchange in self._candidates():
            req = exchange["request"]
            if request_key(req["method"], req["path"], req.get("query", {})) == key:
                return exchange["response"]["status"], exchange["response"]["body"]
        return NOT_RECORDED, {
            "message": f"not recorded in phase {self.phase!r}: {method} {path} {query}"
        }

    # -- server ----------------------------------------------------------

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = replay.respond(
                    self.command,
                    parts.path,
                    query,
                    body,
                    self.headers.get("Authorization"),
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
