#!/usr/bin/python3
"""Summarise the last `meson test` run of one or more build folders.

Usage: summarize.py BUILD_DIR [BUILD_DIR...]

Reads BUILD_DIR/meson-logs/testlog.json (one JSON object per test) and
counts the TAP lines in each test's stdout: `ok` passes, `not ok` fails,
`ok ... # SKIP` is skipped (as is `not ok ... # TODO`, an expected failure).
A test without TAP lines counts once, by its result. A test whose TAP lines
all pass but which itself failed (a crash, a timeout, a wrong plan) counts
one more failure. Prints one line per test (prefixed with its build folder
when given several, as `build-asan: name: ...`), then each failure, and
ends with one combined line `N passed, N failed, N skipped`. A folder whose
log is missing or unreadable counts as one failure. Exits 1 if anything
failed, 2 if a log is missing or unreadable. Standard library only.
"""

import json
import os
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?([^#]*)(#.*)?$")
PASSING_RESULTS = {"OK", "EXPECTEDFAIL"}
SKIPPED_RESULTS = {"SKIP"}


def classify(ok, directive):
    """'passed', 'failed' or 'skipped' for one TAP test line."""
    directive = (directive or "").lstrip("#").strip().upper()
    if ok:
        return "skipped" if directive.startswith("SKIP") else "passed"
    return "skipped" if directive.startswith("TODO") else "failed"


def summarize_test(entry):
    """Counts and failure descriptions for one testlog.json entry."""
    name = entry.get("name", "?")
    result = str(entry.get("result", "?")).upper()
    stdout = entry.get("stdout") or ""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    failures = []
    lines = stdout.splitlines()
    seen_tap = False
    for index, line in enumerate(lines):
        match = TAP_LINE.match(line)
        if match is None:
            continue
        seen_tap = True
        status, number, description, directive = match.groups()
        kind = classify(status == "ok", directive)
        counts[kind] += 1
        if kind == "failed":
            detail = [description.strip() or f"test {number}"]
            # diagnostics follow the failing line as '# ...'
            for follow in lines[index + 1:]:
                if not follow.startswith("#"):
                    break
                detail.append(follow)
            failures.append(f"{name}: not ok {number or ''} - " + "\n    ".join(detail))
    if not seen_tap:
        if result in PASSING_RESULTS:
            counts["passed"] += 1
        elif result in SKIPPED_RESULTS:
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
            failures.append(f"{name}: {result} (exit status {entry.get('returncode')})")
    elif result not in PASSING_RESULTS | SKIPPED_RESULTS and counts["failed"] == 0:
        counts["failed"] += 1
        failures.append(f"{name}: {result} (exit status {entry.get('returncode')}) "
                        "although every TAP line passed")
    return name, result, counts, failures


def read_log(build_dir):
    """The entries of BUILD_DIR's testlog.json; raises OSError or ValueError."""
    path = os.path.join(build_dir, "meson-logs", "testlog.json")
    with open(path, encoding="utf-8") as log:
        return [json.loads(line) for line in log if line.strip()]


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    build_dirs = argv[1:]
    several = len(build_dirs) > 1
    total = {"passed": 0, "failed": 0, "skipped": 0}
    all_failures = []
    unreadable = False
    for build_dir in build_dirs:
        prefix = f"{build_dir}: " if several else ""
        try:
            entries = read_log(build_dir)
        except (OSError, ValueError) as error:
            path = os.path.join(build_dir, "meson-logs", "testlog.json")
            print(f"{path}: {error}", file=sys.stderr)
            unreadable = True
            total["failed"] += 1
            all_failures.append(f"{build_dir}: no readable test log ({path})")
            continue
        for entry in entries:
            name, result, counts, failures = summarize_test(entry)
            for key in total:
                total[key] += counts[key]
            all_failures.extend(prefix + failure for failure in failures)
            print(f"{prefix}{name}: {result}, {counts['passed']} passed, "
                  f"{counts['failed']} failed, {counts['skipped']} skipped")
    if all_failures:
        print()
        print("Failures:")
        for failure in all_failures:
            print(f"  {failure}")
        print()
    print(f"{total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    if unreadable:
        return 2
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
