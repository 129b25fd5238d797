#!/usr/bin/env python3
"""Sends documents through a running docproc platform and prints their journey.

    local-demo.py --outputs FILE --docproc BIN --corpus DIR

Issues an API key with the operator CLI, uploads a PDF, a DOCX, a PNG and a
hostile ZIP bomb through API Gateway, waits for the processor's verdicts,
and prints each document's status, detected format, metadata or rejection
reason, its audit trail, and the operator CLI's verification of that trail.
Standard library only; AWS settings come from the environment.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCUMENTS = [
    ("one-page.pdf", "application/pdf"),
    ("report.docx", DOCX),
    ("chart.png", "image/png"),
    ("zip-bomb.docx", DOCX),
]


def docproc(args, outputs, binary):
    out = subprocess.run([binary, "--outputs", outputs, *args], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        sys.exit(f"docproc {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout


def call(base, method, path, key, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"x-api-key": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--outputs", required=True)
    p.add_argument("--docproc", required=True)
    p.add_argument("--corpus", required=True)
    a = p.parse_args()

    platform = json.load(open(a.outputs))["platform"]["value"]
    base = f"{os.environ['AWS_ENDPOINT_URL']}/_aws/execute-api/{platform['rest_api_id']}/{platform['api_stage']}"
    issued = docproc(["keys", "create", "--client", "demo", "--level", "read-write",
                      "--description", "scripts/local demo"], a.outputs, a.docproc)
    key = next(line.split(":", 1)[1].strip() for line in issued.splitlines() if line.startswith("key:"))
    key_id = next(line.split(":", 1)[1].strip() for line in issued.splitlines() if line.startswith("key id:"))
    print(f"issued API key {key_id} for client 'demo' (read-write) with: docproc keys create")
    print(f"API: {base}\n")

    uploads = []
    for name, content_type in DOCUMENTS:
        content = open(os.path.join(a.corpus, name), "rb").read()
        started = time.monotonic()
        status, doc = call(base, "POST", "/documents", key, {
            "filename": name, "content_type": content_type,
            "content_base64": base64.b64encode(content).decode()})
        if status != 201:
            sys.exit(f"upload of {name} failed: {status} {doc}")
        print(f"POST /documents {name:<14} -> {status} {doc['document_id']} {doc['status']}")
        uploads.append((name, doc["document_id"], started))

    print()
    print(f"{'document':<14} {'status':<10} {'format':<7} {'seconds':>7}  details")
    for name, document_id, started in uploads:
        deadline = time.monotonic() + 90
        while True:
            _, doc = call(base, "GET", f"/documents/{document_id}", key)
            if doc["status"] != "PENDING" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        if doc["status"] == "REJECTED":
            details = f"{doc['reason']['code']}: {doc['reason']['message']} (kept in quarantine)"
        else:
            details = json.dumps(doc.get("metadata"), sort_keys=True)
        print(f"{name:<14} {doc['status']:<10} {str(doc.get('detected_format')):<7} {elapsed:>7.2f}  {details}")

    name, document_id, _ = uploads[0]
    _, trail = call(base, "GET", f"/documents/{document_id}/audit", key)
    print(f"\naudit trail of {name} ({document_id}):")
    for event in trail["events"]:
        print(f"  {event['seq']}  {event['at']}  {event['action']:<10} by {event['actor']}  {event['hash'][:16]}…")
    print(f"\n$ docproc audit verify --document {document_id}")
    print(docproc(["audit", "verify", "--document", document_id], a.outputs, a.docproc).rstrip())
    print(f"\n{len(uploads) - 1} documents processed, 1 hostile document rejected and quarantined.")


if __name__ == "__main__":
    main()
