# conftest.py: the Python test suite of libcnnfilt, run by pytest from meson
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# meson runs `python3 -m pytest -p no:terminal -p no:cacheprovider DIR`
# with GI_TYPELIB_PATH, LD_LIBRARY_PATH, CNNFILT_PLUGIN_PATH and PYTHONPATH
# (for bindings/python, the overrides) pointing at the build and source
# trees. This plugin prints TAP, which meson and tests/summarize.py count:
# one line per test, failures' reports as comments.

import gi

gi.require_version("Cnnfilt", "1.0")
gi.require_version("GLib", "2.0")

_number = 0


def pytest_collection_finish(session):
    print(f"1..{len(session.items)}", flush=True)


def pytest_runtest_logreport(report):
    global _number
    name = report.nodeid
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _number += 1
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            print(f"ok {_number} - {name} # SKIP {reason}", flush=True)
        elif report.passed:
            print(f"ok {_number} - {name}", flush=True)
        else:
            print(f"not ok {_number} - {name}", flush=True)
            for line in str(report.longrepr).rstrip().splitlines():
                print(f"# {line}", flush=True)
    elif report.when == "teardown" and report.failed:
        _number += 1
        print(f"not ok {_number} - {name} (teardown)", flush=True)
        for line in str(report.longrepr).rstrip().splitlines():
            print(f"# {line}", flush=True)
