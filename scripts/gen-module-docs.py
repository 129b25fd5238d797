#!/usr/bin/env python3
"""Writes the Inputs/Outputs tables of each module's README from its
variables.tf and outputs.tf (terraform-docs style, which cannot be installed
offline). Usage: gen-module-docs.py [--check]
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Every module under modules/, nested ones (modules/<name>/modules/<name>) included.
MODULES = sorted(p.parent for p in (ROOT / "modules").rglob("versions.tf") if ".terraform" not in p.parts)
DIRS = [*MODULES, ROOT / "terraform" / "platform", ROOT / "terraform" / "state-bootstrap"]
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def blocks(text, kind):
    """Yields (name, body) for each top-level `kind "name" { ... }` block."""
    for m in re.finditer(rf'^{kind} "([^"]+)" {{\n(.*?)^}}', text, re.S | re.M):
        yield m.group(1), m.group(2)


def attribute(body, name):
    """The value of a top-level (two-space indented) attribute, multi-line aware."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        m = re.match(rf"^  {name}\s*=\s*(.*)$", line)
        if not m:
            continue
        value, depth = m.group(1), 0
        collected = [value]
        depth = value.count("{") + value.count("(") + value.count("[") - value.count("}") - value.count(")") - value.count("]")
        j = i + 1
        while depth > 0 and j < len(lines):
            collected.append(lines[j].strip())
            depth += sum(lines[j].count(c) for c in "{([") - sum(lines[j].count(c) for c in "})]")
            j += 1
        return " ".join(collected)
    return None


def cell(text):
    return re.sub(r"\s+", " ", (text or "").replace("|", "\\|"))


def render(directory):
    variables = (directory / "variables.tf").read_text() if (directory / "variables.tf").exists() else ""
    outputs = (directory / "outputs.tf").read_text() if (directory / "outputs.tf").exists() else ""
    out = ["## Inputs", "", "| Name | Description | Type | Default | Required |", "| --- | --- | --- | --- | :---: |"]
    for name, body in blocks(variables, "variable"):
        description = (attribute(body, "description") or "").strip('"').replace('\\"', '"')
        default = attribute(body, "default")
        kind = attribute(body, "type") or "any"
        out.append(f"| `{name}` | {cell(description)} | `{cell(kind)}` | {'`' + cell(default) + '`' if default is not None else 'n/a'} | {'no' if default is not None else 'yes'} |")
    out += ["", "## Outputs", "", "| Name | Description |", "| --- | --- |"]
    for name, body in blocks(outputs, "output"):
        description = (attribute(body, "description") or "").strip('"').replace('\\"', '"')
        out.append(f"| `{name}` | {cell(description)} |")
    return "\n".join(out)


def main(check):
    stale = []
    for d in DIRS:
        readme = d / "README.md"
        if not readme.exists():
            stale.append(f"{readme} is missing")
            continue
        text = readme.read_text()
        if BEGIN not in text or END not in text:
            stale.append(f"{readme} lacks {BEGIN}/{END} markers")
            continue
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        new = f"{head}{BEGIN}\n{render(d)}\n{END}{tail}"
        if new != text:
            if check:
                stale.append(f"{readme} is out of date")
            else:
                readme.write_text(new)
    if stale:
        sys.exit("\n".join(stale) + "\nrun scripts/gen-module-docs.py")


if __name__ == "__main__":
    main("--check" in sys.argv[1:])
