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
  included), which breaks later reads; we convert them by field name. It also
  returns an empty `accessLogSettings` for stages without access logs (AWS
  omits it), a permanent diff; we omit it too. Its IoT MQTT listener (which
  would bind 0.0.0.0:8883) is turned off.
- ministack counts an asynchronous invocation its function's reserved
  concurrency throttled as a failed attempt, so a burst above the limit lands
  in the on-failure destination within seconds. AWS returns a throttled event
  to the queue and retries it (1 s doubling to 5 min, for up to the event's
  maximum age) without counting those tries against MaximumRetryAttempts
  (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html);
  here the throttled try is repeated the same way, for at most 15 minutes.
- ministack's DynamoDB stream mappings ignore `ReportBatchItemFailures` (a
  reported failure counts as success, so the record is never retried) and
  `MaximumRetryAttempts` (a failing batch is retried until it ages out). AWS
  retries from the reported record with the lowest sequence number and, once
  the retries run out, sends the batch's range to the on-failure destination;
  throttled invocations are not retry attempts
  (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html,
  https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html).
  Here a batch is settled that way, except that bisection is not emulated: AWS
  would split a failing batch (splits use no retries) and dead-letter a smaller
  range later, so the emulator dead-letters sooner and a wider range, which
  redrive handles the same way.

Faults for `docproc load --faults` are armed through the emulator's port when
ministack runs: see emulator_faults.py.
"""
import argparse
import contextvars
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
    # AWS managed policies exist in every account (the API Gateway CloudWatch
    # role attaches AmazonAPIGatewayPushToCloudWatchLogs); moto loads them only
    # when asked, before it is imported.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    patch_moto()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server.stop


# API Gateway fields whose PATCH values are not strings (API Gateway sends every
# PATCH value as a string and converts it by field).
BOOLEAN_FIELDS = {"enabled", "apiKeyRequired", "cacheClusterEnabled", "tracingEnabled", "disableExecuteApiEndpoint"}
# How long an async invocation waits out its function's throttling (AWS: up to
# the event's maximum age, 6 h by default; bounded here so nothing runs forever).
ASYNC_THROTTLE_RETRY_SECONDS = 900

INTEGER_FIELDS = {"authorizerResultTtlInSeconds", "burstLimit", "limit", "offset", "timeoutInMillis", "minimumCompressionSize"}
FLOAT_FIELDS = {"rateLimit"}


def typed_patch_value(op):
    value, field = op.get("value"), op.get("path", "").rsplit("/", 1)[-1]
    if not isinstance(value, str):
        return op
    try:
        if field in BOOLEAN_FIELDS and value.lower() in ("true", "false"):
            return dict(op, value=value.lower() == "true")
        if field in INTEGER_FIELDS:
            return dict(op, value=int(value))
        if field in FLOAT_FIELDS:
            return dict(op, value=float(value))
    except ValueError:
        pass
    return op


def patch_ministack():
    from ministack.services import apigateway_v1 as apigw

    apply_patch = apigw._apply_patch
    apigw._apply_patch = lambda obj, ops: apply_patch(obj, [typed_patch_value(op) for op in ops])

    def without_empty_access_logs(handler):
        def wrapped(*args):
            status, headers, body = handler(*args)
            try:
                doc = json.loads(body)
            except ValueError:
                return status, headers, body
            for stage in doc.get("item", [doc]):
                if isinstance(stage, dict) and stage.get("accessLogSettings") == {}:
                    del stage["accessLogSettings"]
            return status, headers, json.dumps(doc).encode()

        return wrapped

    apigw._get_stage = without_empty_access_logs(apigw._get_stage)
    apigw._get_stages = without_empty_access_logs(apigw._get_stages)

    # Asynchronous invocations wait out throttles (see the module docstring).
    # ministack runs each async invocation's retry loop in a thread started with
    # a copy of the caller's context, so a context variable set around
    # invoke_async_with_retry marks exactly those executions; synchronous
    # invokes still get their 429.
    from ministack.services import lambda_svc

    in_async_invoke = contextvars.ContextVar("docproc_in_async_invoke", default=False)
    execute = lambda_svc._execute_function

    def execute_waiting_out_throttles(func, event):
        delay, deadline = 1.0, time.monotonic() + ASYNC_THROTTLE_RETRY_SECONDS
        while True:
            result = execute(func, event)
            if not (in_async_invoke.get() and result.get("throttle")) or time.monotonic() > deadline:
                return result
            time.sleep(delay)
            delay = min(delay * 2, 300.0)

    invoke_async = lambda_svc.invoke_async_with_retry

    def invoke_async_marked(func, event):
        token = in_async_invoke.set(True)
        try:
            return invoke_async(func, event)
        finally:
            in_async_invoke.reset(token)

    # Stream batches settle as AWS settles them (see the module docstring).
    # Only the mapping's own poller is affected: a synchronous invoke with a
    # stream-shaped event (`docproc dlq redrive`) is left alone.
    from ministack.services import dynamodb

    in_stream_poll = contextvars.ContextVar("docproc_in_stream_poll", default=False)
    poll_streams = lambda_svc._poll_dynamodb_streams

    def poll_streams_marked():
        token = in_stream_poll.set(True)
        try:
            return poll_streams()
        finally:
            in_stream_poll.reset(token)

    retries = {}

    def execute_settling_stream_batches(func, event):
        result = execute_waiting_out_throttles(func, event)
        records = event.get("Records") if isinstance(event, dict) else None
        if not (in_stream_poll.get() and records and records[0].get("eventSource") == "aws:dynamodb"):
            return result
        source = records[0].get("eventSourceARN", "")
        name = (func.get("config") or func).get("FunctionName")
        esm = next((e for _, _, e in lambda_svc._iter_all_esms()
                    if e.get("EventSourceArn") == source and e.get("FunctionName") == name), None)
        # A throttled invocation is retried until the records expire, and is
        # not a retry attempt (services-dynamodb-errors.html): the poller keeps
        # its position and backs off, as it already does.
        first_failed = failed_stream_record(records, esm, result)
        if esm is None or first_failed is None or result.get("throttle"):
            return result
        sequence = records[first_failed]["dynamodb"]["SequenceNumber"]
        key = (esm["UUID"], sequence)
        retries[key] = retries.get(key, 0) + 1
        limit = int(esm.get("MaximumRetryAttempts", -1))
        if 0 <= limit < retries[key]:
            del retries[key]
            lambda_svc._send_ddb_stream_failure_record(esm, func, records[first_failed:], source, result,
                                                       "RetryAttemptsExhausted")
            return {"body": {}, "log": result.get("log", "")}
        # The poller keeps its position after a failure: move it to the first
        # failed record, so the retry starts there.
        table = source.split(":table/")[-1].split("/")[0]
        with lambda_svc._dynamodb_stream_positions_lock:
            position = lambda_svc._dynamodb_stream_positions[esm["UUID"]]
            raw = dynamodb.stream_records_since(table, position, int(esm.get("BatchSize", 100)))
            offset = next((i for i, r in enumerate(raw) if r["dynamodb"]["SequenceNumber"] == sequence), 0)
            lambda_svc._dynamodb_stream_positions[esm["UUID"]] = position + offset
        body = result.get("body") if result.get("error") else {"errorType": "PartialBatchFailure",
                                                                  "errorMessage": f"retry from {sequence}"}
        return dict(result, error=True, body=body)

    lambda_svc._execute_function = execute_settling_stream_batches
    lambda_svc.invoke_async_with_retry = invoke_async_marked
    lambda_svc._poll_dynamodb_streams = poll_streams_marked

    import emulator_faults
    from ministack import app
    from ministack.core import lambda_runtime, responses
    from ministack.services import sns

    emulator_faults.install(app, dynamodb, sns, lambda_runtime, responses)


def failed_stream_record(records, esm, result):
    """Index of the first record a stream batch's invocation failed on, or None.

    A function error fails the whole batch; with ReportBatchItemFailures the
    response names records. An empty, missing or wrongly named identifier
    fails the whole batch (services-ddb-batchfailurereporting.html); one that
    names no record of the batch is treated the same way here (the page does
    not say).
    """
    if result.get("error"):
        return 0
    if esm is None or "ReportBatchItemFailures" not in esm.get("FunctionResponseTypes", []):
        return None
    body = result.get("body")
    failures = body.get("batchItemFailures") if isinstance(body, dict) else None
    if not failures:
        return None
    sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
    ids = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
    if any(i not in sequences for i in ids):
        return 0
    return min(sequences.index(i) for i in ids)


def serve_ministack():
    """Runs in the child process: the environment is set before ministack is imported."""
    patch_ministack()
    from ministack.app import main as ministack_main

    sys.argv = ["ministack"]
    ministack_main()


def run_ministack(port):
    import subprocess

    # Lambdas inherit AWS_ENDPOINT_URL from ministack's environment: only then do
    # their SDK clients reach the emulator instead of real AWS.
    # IOT_MTLS_ENABLED=0: its MQTT listener would bind 0.0.0.0:8883.
    env = dict(os.environ, BIND_HOST="127.0.0.1", GATEWAY_PORT=str(port), AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
               IOT_MTLS_ENABLED="0")
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve-ministack"], env=env)
    return child.terminate


def main():
    if sys.argv[1:2] == ["serve-ministack"]:
        return serve_ministack()
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
