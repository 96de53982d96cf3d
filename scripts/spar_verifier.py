"""Loopback signature verifier for the SPAR mapper.

The mapper cannot switch signature checks off: for every request it fetches an
OAuth client-credentials token, then POSTs a MOSIP-keymanager-style
``jwtVerify`` request and accepts the request only when the answer says
``response.signatureValid``. A deployment points it at a real key manager;
the local stack and the tests point it here, so signatures are checked for
real (RS256 against the partner's public key), never waved through.

Public keys are PEM files named ``<referenceId>.pem`` in ``--keys-dir``, where
the mapper builds referenceId as ``PARTNER_`` + the upper-cased sender id with
``-`` turned into ``_``. A key rotation is a file replacement: keys are read
on every verification, which costs microseconds next to the RSA check.

Fault drills: ``POST /control/fault {"status": 500}`` makes every verification
answer that HTTP status (as a failing key manager would) until
``{"status": null}``. Loopback only, like the whole verifier.
"""

import argparse
import hashlib
import hmac
import json
import logging
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import jwt

TOKEN_LIFETIME_S = 900

_logger = logging.getLogger("spar_verifier")


class TokenIssuer:
    """Tokens this verifier issued, so an unknown caller cannot use it.

    A token carries its expiry and an HMAC of it under the client secret:
    nothing is kept in memory, so tokens outlive a restart of the verifier,
    as a real key manager's do (the mapper caches its token for its
    lifetime and would otherwise be refused until it expires).
    """

    def __init__(self, secret):
        self._key = secret.encode()

    def _mac(self, expiry):
        return hmac.new(self._key, expiry.encode(), hashlib.sha256).hexdigest()

    def issue(self):
        expiry = str(int(time.time()) + TOKEN_LIFETIME_S)
        return f"{expiry}.{self._mac(expiry)}"

    def is_valid(self, token):
        expiry, _sep, mac = token.partition(".")
        return (
            expiry.isdigit()
            and hmac.compare_digest(mac, self._mac(expiry))
            and int(expiry) > time.time()
        )


def verify_detached_jws(jws, actual_data, public_key_pem):
    """True when ``jws`` is an RS256 signature of ``actual_data`` by that key.

    The mapper sends the detached JWS with the payload put back in the middle
    (``actual_data`` is that base64url payload): both must agree, or a valid
    signature of other bytes would pass.
    """
    try:
        _header, payload, _signature = jws.split(".")
    except ValueError:
        return False
    if payload != actual_data:
        return False
    try:
        jwt.api_jws.decode_complete(jws, public_key_pem, algorithms=["RS256"])
    except jwt.PyJWTError:
        return False
    return True


def make_handler(keys_dir, client_secret, tokens):
    fault = {"status": None}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            _logger.debug(fmt, *args)

        def _answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self):
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self):
            if self.path == "/ping":
                self._answer(200, "pong")
            else:
                self._answer(404, {"error": "not found"})

        def do_POST(self):
            body = self._body()
            if self.path == "/oauth/token":
                self._token(body)
            elif self.path == "/jwt/verify":
                if fault["status"]:
                    self._answer(fault["status"], {"errors": [{"message": "drill"}]})
                else:
                    self._verify(body)
            elif self.path == "/control/fault":
                fault["status"] = json.loads(body).get("status")
                self._answer(200, fault)
            else:
                self._answer(404, {"error": "not found"})

        def _token(self, body):
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if form.get("client_secret") != client_secret:
                self._answer(401, {"error": "invalid_client"})
                return
            self._answer(
                200,
                {
                    "access_token": tokens.issue(),
                    "token_type": "Bearer",
                    "expires_in": TOKEN_LIFETIME_S,
                },
            )

        def _verify(self, body):
            cookie = self.headers.get("Cookie", "")
            token = cookie.partition("Authorization=")[2].split(";")[0]
            if not tokens.is_valid(token):
                self._answer(401, {"errors": [{"message": "invalid token"}]})
                return
            request = json.loads(body).get("request", {})
            reference_id = request.get("referenceId", "")
            key_file = keys_dir / f"{reference_id}.pem"
            valid = (
                reference_id.isidentifier()
                and key_file.is_file()
                and verify_detached_jws(
                    request.get("jwtSignatureData", ""),
                    request.get("actualData", ""),
                    key_file.read_bytes(),
                )
            )
            if not valid:
                _logger.info("signature rejected for %s", reference_id)
            self._answer(200, {"response": {"signatureValid": valid}})

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--keys-dir", type=Path, required=True)
    parser.add_argument("--client-secret", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    handler = make_handler(
        args.keys_dir, args.client_secret, TokenIssuer(args.client_secret)
    )
    server = ThreadingHTTPServer((args.host, args.port), handler)
    server.daemon_threads = True
    _logger.info("SPAR verifier on %s:%s", args.host, args.port)
    server.serve_forever()


if __name__ == "__main__":
    main()
