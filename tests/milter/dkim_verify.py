#!/usr/bin/python3
"""Independent DKIM verifier for milter_test: dkimpy with DNS answered from a file.

Usage: dkim_verify.py MESSAGE KEYS
  MESSAGE  the signed message, CRLF line ends
  KEYS     lines "<selector>._domainkey.<domain> <TXT value>"
Prints one line per DKIM-Signature, in header order: "<index> pass" or "<index> fail".
Exit status 0 when the message could be read and checked (whatever the verdicts), 2 otherwise.
Must run under the Debian interpreter (/usr/bin/python3), which sees python3-dkim and nacl.
"""
import sys

import dkim


def main():
    with open(sys.argv[1], "rb") as f:
        message = f.read()
    records = {}
    with open(sys.argv[2], "r", encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, value = line.split(None, 1)
                records[name.lower().rstrip(".")] = value.encode("ascii")

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        return records.get(name.lower().rstrip("."))

    headers = message.split(b"\r\n\r\n", 1)[0]
    count = sum(1 for line in headers.split(b"\r\n") if line.lower().startswith(b"dkim-signature:"))
    for index in range(count):
        try:
            ok = dkim.DKIM(message).verify(idx=index, dnsfunc=dnsfunc)
        except dkim.DKIMException as error:  # e.g. "body hash mismatch": a failed signature
            print("signature", index, ":", error, file=sys.stderr)
            ok = False
        print(index, "pass" if ok else "fail")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # the test reports whatever went wrong
        print("error:", error, file=sys.stderr)
        sys.exit(2)
