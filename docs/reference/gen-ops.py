#!/usr/bin/python3
"""The operators guide, from `cnnfilt ops --json` (never a second list):
gen-ops.py OPS_JSON OUT_MD"""
import json
import sys

with open(sys.argv[1]) as f:
    ops = json.load(f)
out = ["Title: The operators", "", "# The operators", "",
       f"{len(ops)} operators, generated from the op classes (`cnnfilt ops --json`). "
       "Every one runs on the CPU and on OpenCL devices.", ""]
for op in ops:
    out += [f"## {op['name']}", "", op["description"], ""]
    inputs = op["inputs"]
    out += [f"Inputs: {'one or more' if inputs == 0 else inputs}.", ""]
    if op["properties"]:
        out += ["| property | type | default | range | |", "|---|---|---|---|---|"]
        for p in op["properties"]:
            cells = [f"`{p['name']}`", p["type"], f"`{p['default']}`", p.get("range", ""),
                     p["description"]]
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
with open(sys.argv[2], "w") as f:
    f.write("\n".join(out) + "\n")
