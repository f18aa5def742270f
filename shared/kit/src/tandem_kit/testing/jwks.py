"""A local JWKS endpoint for tests: an identity provider whose keys a test rotates or takes down."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm, RSAAlgorithm


@dataclass
class JwksServer:
    """What the endpoint serves: ``keys`` as (key id, private key, algorithm); ``down`` -> 503."""

    keys: list[tuple[str, Any, str]] = field(default_factory=list)
    down: bool = False
    fetches: int = 0
    url: str = ""

    def body(self) -> bytes:
        published = []
        for kid, key, alg in self.keys:
            codec = ECAlgorithm if isinstance(key, ec.EllipticCurvePrivateKey) else RSAAlgorithm
            jwk = json.loads(codec.to_jwk(key.public_key()))
            jwk.update(kid=kid, use="sig", alg=alg)
            published.append(jwk)
        return json.dumps({"keys": published}).encode()


@contextmanager
def jwks_server(*keys: tuple[str, Any, str]) -> Iterator[JwksServer]:
    """Serve ``keys`` on a free loopback port until the block ends."""
    state = JwksServer(keys=list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.fetches += 1
            body = b"" if state.down else state.body()
            self.send_response(503 if state.down else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
