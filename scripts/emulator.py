#!/usr/bin/env python3
"""Starts an AWS emulator on 127.0.0.1 for docproc's local platform and tests.

    emulator.py moto|ministack --port-file FILE [--port N] [--max-seconds N]

Writes the chosen port to FILE once the server accepts connections, and stops
by itself after --max-seconds (default 4 hours) or on SIGTERM/SIGINT.

Emulator fixes applied here (each is an emulator bug, not a docproc choice):
- moto returns a REST API's resource policy unescaped, which breaks the AWS
  provider's read; AWS returns it JSON-escaped, so we escape it the same way.
- moto crashes (HTTP 500) checking S3 access-log permissions when the target
  bucket's policy has a statement with `"Principal": "*"` (a TLS-only deny);
  it only needs the statements with service principals, so it sees those.
- ministack stores API Gateway PATCH values as strings (numbers and booleans
  included), which breaks later reads; we convert them by field name.
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"emulator did not start on port {port} within {seconds}s")


def patch_moto():
    from moto.apigateway import models

    original = models.RestAPI.to_dict

    def to_dict(self):
        d = original(self)
        if d.get("policy"):
            d["policy"] = json.dumps(d["policy"])[1:-1]
        return d

    models.RestAPI.to_dict = to_dict

    from moto.s3 import models as s3

    check = s3.FakeBucket._log_permissions_enabled_policy

    def log_permissions(target_bucket, target_prefix):
        policy = target_bucket.policy
        if policy:
            doc = json.loads(policy)
            doc["Statement"] = [st for st in doc.get("Statement", []) if isinstance(st.get("Principal"), dict)]
            target_bucket.policy = json.dumps(doc).encode()
        try:
            return check(target_bucket, target_prefix)
        finally:
            target_bucket.policy = policy

    s3.FakeBucket._log_permissions_enabled_policy = staticmethod(log_permissions)


def run_moto(port):
    patch_moto()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server.stop


def run_ministack(port):
    import subprocess

    env = dict(os.environ, BIND_HOST="127.0.0.1", GATEWAY_PORT=str(port), AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")
    child = subprocess.Popen([sys.executable, "-m", "ministack"], env=env)
    return child.terminate


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["moto", "ministack"])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-seconds", type=int, default=4 * 3600)
    args = parser.parse_args()

    port = args.port or free_port()
    stop = run_moto(port) if args.kind == "moto" else run_ministack(port)
    wait_listening(port)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.replace(args.port_file + ".tmp", args.port_file)

    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    done.wait(args.max_seconds)
    stop()


if __name__ == "__main__":
    main()
