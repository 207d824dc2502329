#!/usr/bin/env python3
"""scripts/check-coroutine-patterns on a user's files: it flags each form in
unsafe_on_gcc12.cpp (one finding per form, on the right line), nothing in safe_patterns.cpp,
and Zokio's own sources pass. Usage: checker_test.py CHECKER. Exit 0 pass, 1 fail."""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(checker, *args):
    p = subprocess.run([sys.executable, checker, *args], capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    checker = sys.argv[1]
    failures = []
    unsafe = os.path.join(HERE, "unsafe_on_gcc12.cpp")
    rc, out, _ = run(checker, unsafe)
    flagged = sorted(int(m) for m in re.findall(r":(\d+): ", out))
    with open(unsafe) as f:
        lines = f.read().splitlines()
    expected = sorted(i + 1 for i, l in enumerate(lines)
                      if re.search(r"\bco_await\b", l) and ("[" in l or "{path}" in l
                                                             or "if (!co_await" in l))
    print(f"unsafe forms: exit {rc}, flagged lines {flagged}, expected {expected}")
    if rc != 1:
        failures.append(f"exit {rc} on the unsafe forms, expected 1")
    if flagged != expected or len(expected) != 5:
        failures.append(f"flagged {flagged}, expected the 5 forms at {expected}")
    rc, out, err = run(checker, os.path.join(HERE, "safe_patterns.cpp"), HERE + "/patterns.hpp")
    print(f"safe forms: exit {rc} {out.strip()}")
    if rc != 0:
        failures.append(f"safe forms flagged: {out}")
    rc, out, err = run(checker)  # Zokio's own sources; the unsafe file is marked off
    print(f"zokio's sources: exit {rc} {out.strip()}")
    if rc != 0:
        failures.append(f"zokio's own sources flagged: {out}")
    rc, out, err = run(checker, "/nonexistent/file.cpp")
    if rc != 2 or "no such file" not in err:
        failures.append(f"a missing path: exit {rc}, stderr {err!r}")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
