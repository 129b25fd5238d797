"""Fault injection for the local platform (ministack), driven by `docproc load --faults`.

The emulator's own port takes the control requests (the AWS_ENDPOINT_URL the
platform already uses, so nothing else has to be found):

    POST /_docproc/faults?kind=K&target=T&seconds=S[&rate=R]   arm fault K for S seconds
    GET  /_docproc/faults                                      what each fault injected

Kinds, each refusing what AWS itself can refuse:
- table-outage: every DynamoDB request naming table T answers 503
  ServiceUnavailable, the error DynamoDB documents for "temporarily
  unavailable" (retryable).
- sns-outage: every Publish/PublishBatch to topic T answers 500 InternalError,
  an error Publish documents.
- processor-crash: each invocation of function T is, with probability R
  (default 0.5), killed (SIGKILL) 5-150 ms after it starts, while it works on
  its document; Lambda then reports Runtime.ExitError and retries the event.

Faults only fire while armed and count what they did; an armed fault that
never fired is reported as such (the run's check fails on it).
"""
import json
import random
import threading
import time
import urllib.parse

KINDS = ("table-outage", "sns-outage", "processor-crash")
# How long after an invocation starts a crash may land: most documents of the
# load mix take longer than this to process on the local platform.
CRASH_DELAY_SECONDS = (0.005, 0.150)


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._armed = {}

    def arm(self, kind, target, seconds, rate):
        # The count starts again: a run reads what its own window injected,
        # never what an earlier run's did.
        with self._lock:
            self._armed[kind] = {"target": target, "until": time.monotonic() + seconds, "rate": rate, "injected": 0}

    def fires(self, kind, target, count=True):
        """Whether fault `kind` hits this request for `target` (counted unless `count` is false)."""
        with self._lock:
            fault = self._armed.get(kind)
            if not fault or fault["target"] != target or time.monotonic() >= fault["until"]:
                return False
            if random.random() >= fault["rate"]:
                return False
            fault["injected"] += count
            return True

    def count(self, kind):
        with self._lock:
            self._armed[kind]["injected"] += 1

    def status(self):
        now = time.monotonic()
        with self._lock:
            return {
                kind: {"target": f["target"], "active": now < f["until"], "injected": f["injected"]}
                for kind, f in self._armed.items()
            }


FAULTS = Faults()


def _json(status, doc):
    return status, {"Content-Type": "application/json"}, json.dumps(doc).encode()


def control(method, path, query_params):
    """The control endpoint, or None for any other request."""
    if path != "/_docproc/faults":
        return None
    if method == "GET":
        return _json(200, FAULTS.status())
    if method != "POST":
        return _json(405, {"message": "GET or POST"})
    first = lambda name, default=None: (query_params.get(name) or [default])[0]  # noqa: E731
    kind, target = first("kind"), first("target")
    try:
        seconds, rate = float(first("seconds", "0")), float(first("rate", "1" if kind != "processor-crash" else "0.5"))
    except ValueError:
        return _json(400, {"message": "seconds and rate are numbers"})
    if kind not in KINDS or not target or not 0 < seconds <= 3600 or not 0 < rate <= 1:
        return _json(400, {"message": f"kind in {KINDS}, a target, 0 < seconds <= 3600, 0 < rate <= 1"})
    FAULTS.arm(kind, target, seconds, rate)
    return _json(200, {"kind": kind, "target": target, "seconds": seconds, "rate": rate})


def dynamodb_tables(data):
    """Tables a DynamoDB request names (names or ARNs reduced to names)."""
    names = []
    if isinstance(data.get("TableName"), str):
        names.append(data["TableName"])
    names.extend((data.get("RequestItems") or {}).keys())
    for item in data.get("TransactItems") or []:
        for op in item.values() if isinstance(item, dict) else []:
            if isinstance(op, dict) and isinstance(op.get("TableName"), str):
                names.append(op["TableName"])
    return {n.split(":table/")[-1].split("/")[0] for n in names}


def install(app, dynamodb, sns, lambda_runtime, responses):
    """Patches ministack's modules (before it serves) so armed faults fire."""
    pre_body = app._handle_pre_body_request

    async def pre_body_with_control(method, path, headers, query_params, request_id):
        return control(method, path, query_params) or await pre_body(method, path, headers, query_params, request_id)

    app._handle_pre_body_request = pre_body_with_control

    dynamodb_request = dynamodb.handle_request

    async def dynamodb_with_outage(method, path, headers, body, query_params):
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            data = {}
        if isinstance(data, dict) and any(FAULTS.fires("table-outage", t) for t in dynamodb_tables(data)):
            return responses.error_response_json("ServiceUnavailable", "DynamoDB is currently unavailable (docproc fault table-outage)", 503)
        return await dynamodb_request(method, path, headers, body, query_params)

    dynamodb.handle_request = dynamodb_with_outage

    sns_request = sns.handle_request

    async def sns_with_outage(method, path, headers, body, query_params):
        params = dict(query_params)
        if method == "POST" and body:
            params.update(urllib.parse.parse_qs(body.decode("utf-8", errors="replace")))
        action, topic = (params.get("Action") or [""])[0], (params.get("TopicArn") or [""])[0]
        if action in ("Publish", "PublishBatch") and FAULTS.fires("sns-outage", topic):
            return responses.error_response_xml("InternalError", "Request could not be completed (docproc fault sns-outage)", 500,
                                          namespace="http://sns.amazonaws.com/doc/2010-03-31/")
        return await sns_request(method, path, headers, body, query_params)

    sns.handle_request = sns_with_outage

    invoke = lambda_runtime.ProvidedWorker.invoke

    def invoke_with_crashes(worker, event, request_id, **kwargs):
        # Counted only when the kill lands before the invocation answered.
        if not FAULTS.fires("processor-crash", worker.func_name, count=False):
            return invoke(worker, event, request_id, **kwargs)
        finished = threading.Event()

        def crash():
            proc = worker._proc
            answered = finished.is_set() or worker._response_ready.is_set()
            if answered or proc is None or proc.poll() is not None:
                return
            proc.kill()
            FAULTS.count("processor-crash")

        timer = threading.Timer(random.uniform(*CRASH_DELAY_SECONDS), crash)
        timer.daemon = True
        timer.start()
        try:
            return invoke(worker, event, request_id, **kwargs)
        finally:
            finished.set()
            timer.cancel()

    lambda_runtime.ProvidedWorker.invoke = invoke_with_crashes
