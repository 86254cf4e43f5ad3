#!/usr/bin/env python3
"""A stateless container-credentials endpoint on loopback, for the differential suite.

Usage: creds_server.py

Listens on 127.0.0.1 on a free port and prints that port on stdout. GET /creds?k=KEY&s=SECRET
answers the container credentials JSON for that key pair (expiring in 2099); with &auth=TOKEN
it first requires the Authorization header to equal TOKEN (403 otherwise); /status/N answers
HTTP status N. It exits when its stdin closes (when the test process that started it ends).
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path.startswith("/status/"):
            return self.answer(int(url.path.split("/")[2]), '{"message": "no"}')
        if url.path != "/creds":
            return self.answer(404, '{"message": "not found"}')
        if "auth" in q and self.headers.get("Authorization") != q["auth"]:
            return self.answer(403, '{"message": "bad token"}')
        self.answer(
            200,
            json.dumps(
                {
                    "AccessKeyId": q.get("k", ""),
                    "SecretAccessKey": q.get("s", ""),
                    "Token": "container-token",
                    "Expiration": "2099-01-01T00:00:00Z",
                }
            ),
        )


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the parent goes away
    return 0


if __name__ == "__main__":
    sys.exit(main())
