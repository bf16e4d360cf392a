#!/usr/bin/env python3
"""HTTP peers of the URL check tests (test_http_checks.sh), on 127.0.0.1 only.

  http_peer.py --http PORT --tls PORT --cert F --key F --silent PORT

--http: python's http.server with /ok (200 "hello dcmon"), /fail (500), /host (200,
        the Host header it got as "host=NAME"), /big (200, 4 MiB of "A").
--tls:  the same handler behind the ssl module with the given certificate.
--silent: accepts connections and never answers a byte (a hung server).
Runs until killed.
"""
import argparse
import http.server
import socket
import ssl
import threading

BIG = 4 * 1024 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body, send=True):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send:
            self.wfile.write(body)

    def answer(self, send):
        if self.path == "/ok":
            self.reply(200, b"hello dcmon\n", send)
        elif self.path == "/fail":
            self.reply(500, b"internal error\n", send)
        elif self.path == "/host":
            self.reply(200, ("host=%s\n" % self.headers.get("Host", "")).encode(), send)
        elif self.path == "/big":
            self.reply(200, b"A" * BIG, send)
        else:
            self.reply(404, b"not found\n", send)

    def do_GET(self):
        try:
            self.answer(True)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a client that stopped reading (body_max) is expected

    def do_HEAD(self):
        self.answer(False)

    def log_message(self, fmt, *args):
        pass


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()


def silent(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)  # never read, never answered, never closed
        del held[:-256]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--http", type=int, required=True)
    ap.add_argument("--tls", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--silent", type=int, required=True)
    a = ap.parse_args()
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    serve(http.server.ThreadingHTTPServer(("127.0.0.1", a.http), Handler))
    tls = http.server.ThreadingHTTPServer(("127.0.0.1", a.tls), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    serve(tls)
    silent(a.silent)


if __name__ == "__main__":
    main()
