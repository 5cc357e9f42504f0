#!/usr/bin/python3
"""doc/rules.md stays true (issue 11): every DESIGN rule 0-9 has a row,
every message id of lib/rights.h is named, every lib function named is
declared in lib/, every test file and test function named exists.
Prints what is wrong, file:line first, and exits 1; prints a summary and
exits 0 otherwise."""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(*parts):
    with open(os.path.join(TOP, *parts), encoding="utf-8") as f:
        return f.read()


def main():
    errors = []
    doc = read("doc", "rules.md")
    rows = [(n, line) for n, line in enumerate(doc.splitlines(), 1)
            if line.startswith("|") and not line.startswith("|---")][1:]
    headers = "".join(read("lib", h) for h in os.listdir(os.path.join(TOP, "lib"))
                      if h.endswith(".h"))
    enum = re.search(r"typedef enum rights_msg \{(.*?)\} rights_msg;", headers, re.S).group(1)
    msg_ids = [m for m in re.findall(r"\b(MSG_[A-Z_]+)\b", enum) if m != "MSG_COUNT"]

    for rule in range(10):
        if not any("DESIGN rule %d:" % rule in line for _, line in rows):
            errors.append("doc/rules.md: no row for DESIGN rule %d" % rule)
    for msg in msg_ids:
        if not any("`%s`" % msg in line for _, line in rows):
            errors.append("doc/rules.md: message %s (lib/rights.h) has no row" % msg)
    for n, line in rows:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6:
            errors.append("doc/rules.md:%d: %d columns, not 6" % (n, len(cells)))
            continue
        for fn in re.findall(r"`([a-z_]+)`", cells[2]):
            if not re.search(r"\b%s\(" % fn, headers):
                errors.append("doc/rules.md:%d: lib function %s is not declared in lib/" % (n, fn))
        for msg in re.findall(r"`(MSG_[A-Z_]+)`", cells[3]):
            if msg not in msg_ids:
                errors.append("doc/rules.md:%d: no message %s in lib/rights.h" % (n, msg))
        for name in re.findall(r"`([a-z_]+\.c)`", cells[4]):
            if not os.path.exists(os.path.join(TOP, "tests", "unit", name)):
                errors.append("doc/rules.md:%d: no tests/unit/%s" % (n, name))
        for ref in re.findall(r"`([a-z_]+\.py(?:::[A-Za-z_0-9]+)?)`", cells[5]):
            path, _, test = ref.partition("::")
            full = os.path.join(TOP, "tests", "integration", path)
            if not os.path.exists(full):
                errors.append("doc/rules.md:%d: no tests/integration/%s" % (n, path))
            elif test and not re.search(r"^def %s\(" % test, read(full), re.M):
                errors.append("doc/rules.md:%d: no test %s in tests/integration/%s"
                              % (n, test, path))
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    print("check-rules: %d rows, %d message ids, DESIGN rules 0-9 indexed"
          % (len(rows), len(msg_ids)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
