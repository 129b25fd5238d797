#!/usr/bin/env python3
"""Prints each Lambda zip's size and its cold-start init time.

    bench-cold-start.py [ARTIFACT_DIR] [--runs N]

Init time is measured like Lambda sees it: from starting the `bootstrap`
process to its first poll of the Runtime API (GET /runtime/invocation/next),
served here by a stub on 127.0.0.1. The baseline, measured in the same run,
is spawning and reaping `/bin/true`, so the ratio shows what the function's
own start-up (config, SDK clients, runtime) costs over a bare process.

Exits non-zero only if a zip exceeds the 4 MiB size budget (sizes are
deterministic; times are printed, never asserted).
"""
import argparse
import http.server
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

FUNCTIONS = ["api", "authorizer", "processor", "notifier"]
SIZE_BUDGET = 4 * 1024 * 1024
ENV = {
    # Lambda's own variables (lambda_runtime reads them at start).
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench", "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
    "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_EC2_METADATA_DISABLED": "true", "AWS_LAMBDA_LOG_LEVEL": "WARN",
    # docproc's configuration, as Terraform sets it.
    "DOCUMENTS_TABLE": "bench-documents", "AUDIT_TABLE": "bench-audit", "PERMISSIONS_TABLE": "bench-permissions",
    "DOCUMENTS_BUCKET": "bench-documents", "DOCUMENTS_KMS_KEY_ARN": "arn:aws:kms:us-east-1:123456789012:key/bench",
    "STATUS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:bench-status",
}


class FirstPoll(http.server.BaseHTTPRequestHandler):
    """Records when the runtime first asks for an invocation, then hangs up."""

    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next"):
            self.server.polled_at = time.perf_counter()
            self.server.polled.set()
        self.close_connection = True

    def log_message(self, *args):
        pass


def init_time(bootstrap, timeout=10.0):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FirstPoll)
    server.polled = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = dict(os.environ, **ENV, AWS_LAMBDA_FUNCTION_NAME=bootstrap.parent.name,
               AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}")
    started = time.perf_counter()
    process = subprocess.Popen([str(bootstrap)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not server.polled.wait(timeout):
            process.kill()
            sys.exit(f"{bootstrap.parent.name} never polled the Runtime API: {process.stderr.read().decode()[-500:]}")
        return server.polled_at - started
    finally:
        process.kill()
        process.wait()
        server.shutdown()
        server.server_close()


def spawn_time():
    started = time.perf_counter()
    subprocess.run(["/bin/true"], check=True)
    return time.perf_counter() - started


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("artifacts", nargs="?", default=str(pathlib.Path(__file__).resolve().parent.parent / "build/lambda/x86_64"))
    p.add_argument("--runs", type=int, default=25)
    a = p.parse_args()

    artifacts = pathlib.Path(a.artifacts)
    baseline = statistics.median(spawn_time() for _ in range(a.runs))
    over_budget = []
    print(f"{'function':<11} {'zip bytes':>10} {'MiB':>5}  {'init median':>11} {'p90':>8} {'x spawn':>8}")
    with tempfile.TemporaryDirectory() as scratch:
        for name in FUNCTIONS:
            archive = artifacts / f"{name}.zip"
            if not archive.is_file():
                sys.exit(f"{archive} is missing: run scripts/build-lambdas x86_64")
            size = archive.stat().st_size
            if size > SIZE_BUDGET:
                over_budget.append(name)
            target = pathlib.Path(scratch) / name
            with zipfile.ZipFile(archive) as z:
                z.extractall(target)
            bootstrap = target / "bootstrap"
            bootstrap.chmod(0o755)
            init_time(bootstrap)  # warm the page cache: Lambda's sandbox has the binary local too
            times = sorted(init_time(bootstrap) for _ in range(a.runs))
            median = statistics.median(times)
            p90 = times[int(0.9 * (len(times) - 1))]
            print(f"{name:<11} {size:>10} {size / 2**20:>5.2f}  {median * 1000:>8.2f} ms {p90 * 1000:>5.2f} ms {median / baseline:>7.1f}x")
    print(f"baseline: spawning /bin/true takes {baseline * 1000:.2f} ms (median of {a.runs}); targets: zip <= 4 MiB, init <= 20 ms")
    if over_budget:
        sys.exit(f"over the 4 MiB zip budget: {', '.join(over_budget)}")


if __name__ == "__main__":
    main()
