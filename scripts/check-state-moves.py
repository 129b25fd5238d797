#!/usr/bin/env python3
"""Proves that the `moved` blocks carry existing state: the storage module
(Object Lock on, so every moved resource exists) and terraform/state-bootstrap
are applied to moto as they were at BASE, then the working tree's code is
planned against that state. Both steps target the moved objects (with what
they depend on): the lifecycle rules, which are not moved, take a minute each
to settle on moto and are left out.

    check-state-moves.py [--base REV] [--only-moves]

Fails when a moved object would be destroyed, replaced or created again, or
when a moved block moves nothing. --only-moves also fails on any other change
(the plan must read "0 to add, 0 to change, 0 to destroy"): true of the
refactoring commit itself, not of later changes to these modules.

BASE defaults to the commit before modules/storage/moved.tf was added (HEAD
while it is uncommitted). Without that commit in the clone (CI checks out one
commit) or without the moto venv (scripts/bootstrap), it says so and skips.
Needs TERRAFORM and TF_CLI_CONFIG_FILE as scripts/lib.sh sets them.
"""
import argparse
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = pathlib.Path(os.environ.get("DOCPROC_VENV", ROOT / ".venv"))
BUILD = pathlib.Path(os.environ.get("DOCPROC_BUILD", ROOT / "build"))
TERRAFORM = os.environ.get("TERRAFORM", "terraform")
MOVES_ADDED_IN = "modules/storage/moved.tf"

# A root calling the storage module with every optional resource on.
STORAGE_ROOT = '''module "storage" {
  source = "../modules/storage"

  name_prefix         = "moves-docproc"
  bucket_suffix       = "123456789012"
  deletion_protection = false
  force_destroy       = true
  object_lock_enabled = true
}
'''

# (root directory, directory whose moved blocks it exercises, their address
# prefix in the root, extra file)
ROOTS = [
    ("storage-root", "modules/storage", "module.storage.", ("main.tf", STORAGE_ROOT)),
    ("terraform/state-bootstrap", "terraform/state-bootstrap", "", None),
]
MOVED = re.compile(r"^moved \{\s*from\s*=\s*(\S+)\s*to\s*=\s*(\S+)\s*\}", re.M)


def log(msg):
    print(f"==> {msg}", file=sys.stderr)


def git(*args):
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)


def default_base():
    added = git("log", "--diff-filter=A", "--format=%H", "--", MOVES_ADDED_IN).stdout.split()
    return f"{added[-1]}^" if added else "HEAD"


def terraform(directory, *args):
    out = subprocess.run([TERRAFORM, f"-chdir={directory}", *args, "-no-color"], capture_output=True, text=True,
                         check=False, env=dict(os.environ, TF_IN_AUTOMATION="1", TF_INPUT="0"))
    if out.returncode != 0:
        sys.exit(f"terraform {' '.join(args)} failed in {directory}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return out.stdout


def provider_block(endpoint):
    """The provider configuration scripts/emulator-workspace.py writes for an env."""
    spec = importlib.util.spec_from_file_location("emulator_workspace", ROOT / "scripts/emulator-workspace.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.provider_block(endpoint)


def start_moto(work):
    port_file = work / "moto.port"
    child = subprocess.Popen([str(VENV / "emulators/bin/python"), str(ROOT / "scripts/emulator.py"), "moto",
                              "--port-file", str(port_file), "--max-seconds", "900"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not port_file.exists():
        if child.poll() is not None or time.time() > deadline:
            child.kill()
            sys.exit("moto did not start")
        time.sleep(0.2)
    return child, f"http://127.0.0.1:{port_file.read_text().strip()}"


def tree(work, name, base):
    """modules/ and terraform/ at `base` (a commit) or as in the working tree (None)."""
    dest = work / name
    dest.mkdir()
    if base:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", base, "modules", "terraform"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    else:
        skip = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "terraform.tfstate*", "tests")
        for part in ["modules", "terraform"]:
            shutil.copytree(ROOT / part, dest / part, ignore=skip)
    return dest


def prepare(dest, root, extra, endpoint):
    directory = dest / root
    directory.mkdir(parents=True, exist_ok=True)
    if extra:
        (directory / extra[0]).write_text(extra[1])
    (directory / "emulator_override.tf").write_text(provider_block(endpoint))
    return directory


def moved_blocks(directory, prefix):
    """(from, to) of every moved block in `directory`, as addresses in the root."""
    return [(prefix + f, prefix + t) for p in sorted((ROOT / directory).glob("*.tf"))
            for f, t in MOVED.findall(p.read_text())]


def check(plan, expected_moves, only_moves):
    """(moves, problems) of a plan: a moved object may only be kept (or
    updated in place, unless only_moves); nothing may be destroyed."""
    kept = [["no-op"]] if only_moves else [["no-op"], ["update"]]
    problems, moves = [], []
    for rc in plan["resource_changes"]:
        actions = rc["change"]["actions"]
        if rc.get("previous_address"):
            moves.append(f"{rc['previous_address']} -> {rc['address']}")
            if actions not in kept:
                problems.append(f"{rc['address']} (moved): {actions}")
        elif "delete" in actions or (only_moves and actions not in (["no-op"], ["read"])):
            problems.append(f"{rc['address']}: {actions}")
    if len(moves) != expected_moves:
        problems.append(f"{expected_moves} moved blocks, but {len(moves)} objects moved")
    return moves, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base")
    parser.add_argument("--only-moves", action="store_true")
    a = parser.parse_args()
    base = a.base or default_base()
    if git("cat-file", "-e", f"{base}^{{commit}}").returncode != 0:
        log(f"state moves: skipped, {base} is not in this clone (shallow checkout?)")
        return
    if not (VENV / "emulators/bin/python").exists():
        log("state moves: skipped, no moto venv (run scripts/bootstrap)")
        return
    if not os.environ.get("TF_CLI_CONFIG_FILE"):
        sys.exit("TF_CLI_CONFIG_FILE is not set: source scripts/lib.sh and run find_terraform + terraform_cli_config")

    BUILD.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BUILD, prefix="check-state-moves.") as tmp:
        work = pathlib.Path(tmp)
        moto, endpoint = start_moto(work)
        try:
            old, new = tree(work, "old", git("rev-parse", base).stdout.strip()), tree(work, "new", None)
            failures = []
            for root, moves_in, prefix, extra in ROOTS:
                before, after = prepare(old, root, extra, endpoint), prepare(new, root, extra, endpoint)
                blocks = moved_blocks(moves_in, prefix)
                log(f"state moves: {root} applied at {base[:12]}, planned as in the working tree")
                terraform(before, "init", "-input=false")
                terraform(before, "apply", "-input=false", "-auto-approve", *[f"-target={f}" for f, _ in blocks])
                shutil.copy(before / "terraform.tfstate", after / "terraform.tfstate")
                terraform(after, "init", "-input=false")
                # Terraform wants both addresses of each move targeted.
                targets = [f"-target={address}" for move in blocks for address in move]
                text = terraform(after, "plan", "-input=false", "-out=plan.bin", *targets)
                plan = json.loads(terraform(after, "show", "-json", "plan.bin"))
                moves, problems = check(plan, len(blocks), a.only_moves)
                summary = next((line.strip() for line in text.splitlines()
                                if line.startswith(("Plan:", "No changes."))), "(no summary line)")
                print(f"{root}: {len(moves)} moved, {summary}")
                for m in moves:
                    print(f"  {m}")
                failures += [f"{root}: {p}" for p in problems]
        finally:
            moto.terminate()
            moto.wait()
    if failures:
        sys.exit("moved blocks do not carry the state:\n" + "\n".join(failures))
    print("state moves: every moved block carries its object" + (", and nothing else changes" if a.only_moves else ""))


if __name__ == "__main__":
    main()
