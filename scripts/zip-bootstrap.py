#!/usr/bin/env python3
"""Packs a Lambda `bootstrap` binary into a reproducible zip: one entry, a
fixed timestamp, fixed permissions and fixed compression, so the zip's hash
(and Terraform's source_code_hash) changes only when the binary does.

Usage: zip-bootstrap.py BINARY OUT.zip
"""
import sys
import zipfile

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def main(binary, out):
    info = zipfile.ZipInfo("bootstrap", FIXED_TIME)
    info.external_attr = (0o100755 << 16)  # regular file, rwxr-xr-x
    info.create_system = 3  # Unix, so the permissions are honoured
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(binary, "rb") as f:
        data = f.read()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(info, data, compresslevel=9)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
