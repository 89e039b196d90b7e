# test_coverage.py: every introspectable function of Cnnfilt-1.0.gir is
# called by some test of this folder (or the GJS test), by name; a new
# public function without a test fails here.
# SPDX-License-Identifier: LGPL-2.1-or-later

import glob
import os
import re
import xml.etree.ElementTree as ET

import gi

HERE = os.path.dirname(os.path.abspath(__file__))
CORE = "{http://www.gtk.org/introspection/core/1.0}"
C = "{http://www.gtk.org/introspection/c/1.0}"


def gir_path():
    for folder in os.environ.get("GI_TYPELIB_PATH", "").split(os.pathsep):
        path = os.path.join(folder, "Cnnfilt-1.0.gir")
        if os.path.exists(path):
            return path
    raise AssertionError("Cnnfilt-1.0.gir not found beside the typelib (GI_TYPELIB_PATH)")


def test_every_function_is_tested():
    tests = "".join(open(f).read() for f in glob.glob(os.path.join(HERE, "test_*.py"))
                    if not f.endswith("test_coverage.py"))
    tests += open(os.path.join(HERE, "..", "..", "gjs", "test.js")).read()
    tests += open(os.path.join(HERE, "..", "gi", "overrides", "Cnnfilt.py")).read()
    missing = []
    for node in ET.parse(gir_path()).getroot().iter():
        if node.tag not in (CORE + "function", CORE + "method", CORE + "constructor"):
            continue
        if node.get("introspectable") == "0":
            continue
        name = node.get("name")
        if not re.search(r"\b" + re.escape(name) + r"\b", tests):
            missing.append(node.get(C + "identifier"))
    assert not missing, "public functions no test calls: " + ", ".join(sorted(missing))
