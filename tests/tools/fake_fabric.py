#!/usr/bin/env python3
"""fake_fabric.py - a stand-in route server for pharos-agent tests.

Serves the fabric API an agent follows, from canned answers, over HTTP or
HTTPS (--cert/--key):

  GET  .../table                 {"version": V, "routes": TABLE}
  GET  .../deltas?after=N        the next step of --steps after version N;
                                 a step is served once its trigger file
                                 (--dir/go-STEP) exists, else an empty
                                 answer after a short wait
  POST .../ack                   appended to --dir/acks.jsonl

--table FILE is a JSON list of effective routes; --steps FILE a JSON list
of delta lists (step i takes version i+1 to i+2). Every request is logged
to --dir/requests.log with its Authorization header.
"""
import argparse
import json
import os
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, default=8179)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--steps")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    o = ap.parse_args()
    with open(o.table) as f:
        table = json.load(f)
    steps = []
    if o.steps:
        with open(o.steps) as f:
            steps = json.load(f)
    # the answers, encoded once (100,000 routes make a large body)
    table_body = json.dumps({"version": 1, "routes": table}).encode()
    step_bodies = [json.dumps({"version": i + 2, "deltas": [
        {"op": d["op"], "version": i + 2, "route": d["route"]} for d in s]}).encode()
        for i, s in enumerate(steps)]

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            with open(os.path.join(o.dir, "requests.log"), "a") as f:
                f.write("%s %s auth=%s\n" % (self.command, self.path,
                        self.headers.get("Authorization", "")))

        def reply(self, code, body):
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            u = urlparse(self.path)
            if u.path.endswith("/table"):
                return self.reply(200, table_body)
            if u.path.endswith("/deltas"):
                q = parse_qs(u.query)
                after = int(q.get("after", ["0"])[0])
                step = after - 1
                end = time.time() + 1.0
                while step < len(steps) and time.time() < end:
                    if os.path.exists(os.path.join(o.dir, "go-%d" % step)):
                        return self.reply(200, step_bodies[step])
                    time.sleep(0.05)
                return self.reply(200, json.dumps(
                    {"version": after, "deltas": []}).encode())
            return self.reply(404, b'{"error":"unknown path"}')

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            if self.path.endswith("/ack"):
                with open(os.path.join(o.dir, "acks.jsonl"), "ab") as f:
                    f.write(body + b"\n")
                return self.reply(200, b"{}")
            return self.reply(404, b'{"error":"unknown path"}')

    srv = ThreadingHTTPServer((o.addr, o.port), H)
    if o.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(o.cert, o.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(os.path.join(o.dir, "ready"), "w") as f:
        f.write("up\n")
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
