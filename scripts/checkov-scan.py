#!/usr/bin/env python3
"""Scans docproc's Terraform with checkov the way users' tools do, and fails on
any failed check anywhere in the tree:

    checkov-scan.py [--checkov PATH] [--root DIR]
    checkov-scan.py --self-test    # proves a planted failure is caught in envs/, terraform/ and modules/

It scans the repository root (every root and module, as pre-commit-terraform or
a CI action would: `checkov -d .`), then each env on its own, so the table
shows what each env composes (module calls resolved with that env's values).
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENVS = ["dev", "staging", "prod"]
TERRAFORM_DIRS = ["modules", "terraform", "envs"]

# A log group with neither a KMS key nor a retention: checkov fails it
# (CKV_AWS_158, CKV_AWS_338) wherever it stands.
PLANTED = '''resource "aws_cloudwatch_log_group" "planted_by_checkov_self_test" {
  name = "planted"
}
'''
PLANT_IN = ["envs/dev", "terraform/state-bootstrap", "modules/storage", "modules/storage/modules/secure-bucket"]


def scan(checkov, directory):
    """Returns (summary, failed checks) of one checkov run over `directory`."""
    out = subprocess.run(
        [checkov, "-d", str(directory), "--framework", "terraform", "--skip-download", "-o", "json"],
        capture_output=True, text=True, check=False)
    if out.returncode not in (0, 1):
        sys.exit(f"checkov failed on {directory} (exit {out.returncode}):\n{out.stderr[-4000:]}")
    report = json.loads(out.stdout)
    # A directory holding no Terraform yields a list of nothing, or a bare summary.
    if isinstance(report, list):
        report = next((r for r in report if r.get("check_type") == "terraform"), {})
    summary = report.get("summary", {"passed": 0, "failed": 0, "skipped": 0, "resource_count": 0})
    failed = report.get("results", {}).get("failed_checks", [])
    return summary, failed


def run(checkov, root):
    targets = [("repository root (every root and module)", root)] + [
        (f"envs/{env} (as composed)", root / "envs" / env) for env in ENVS]
    rows, failures = [], []
    for label, directory in targets:
        summary, failed = scan(checkov, directory)
        rows.append((label, summary["resource_count"], summary["passed"], summary["failed"], summary["skipped"]))
        for f in failed:
            where = f["file_path"] + (f" (called from {f['caller_file_path']})" if f.get("caller_file_path") else "")
            failures.append(f"{label}: {f['check_id']} {f['check_name']}\n    {f['resource']} in {where}")
    print(f"{'scanned':42} {'resources':>9} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for label, resources, passed, failed, skipped in rows:
        print(f"{label:42} {resources:>9} {passed:>7} {failed:>7} {skipped:>8}")
    if any(r[1] == 0 for r in rows):
        failures.append("a scan saw no resources: checkov did not read the Terraform")
    return failures


def self_test(checkov):
    with tempfile.TemporaryDirectory() as tmp:
        copy = pathlib.Path(tmp)
        for part in TERRAFORM_DIRS:
            shutil.copytree(ROOT / part, copy / part,
                            ignore=shutil.ignore_patterns(".terraform", "terraform.tfstate*"))
        for where in PLANT_IN:
            (copy / where / "planted.tf").write_text(PLANTED)
        failures = run(checkov, copy)
    missed = [w for w in PLANT_IN if not any(f"/{w}/planted.tf" in f for f in failures)]
    if missed:
        sys.exit(f"self-test: the scan missed the failure planted in {missed}")
    print(f"self-test: the planted failure was caught in each of {', '.join(PLANT_IN)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkov", default=str(ROOT / ".venv/checkov/bin/checkov"))
    parser.add_argument("--root", default=str(ROOT))
    parser.add_argument("--self-test", action="store_true")
    a = parser.parse_args()
    if a.self_test:
        return self_test(a.checkov)
    failures = run(a.checkov, pathlib.Path(a.root))
    if failures:
        sys.exit("checkov found failed checks:\n" + "\n".join(failures))
    print("checkov: 0 failed checks")


if __name__ == "__main__":
    main()
