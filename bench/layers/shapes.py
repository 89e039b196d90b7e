"""Reads the layer table `shapes` (shared by make_models.py, torch_bench.py, report.py)."""
import os

FIELDS = ("N", "C", "H", "W", "O", "kh", "kw", "stride", "pad", "count")


def read_shapes(path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "shapes")):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            r = dict(zip(FIELDS, map(int, parts[1:12])))
            r["name"] = parts[0]
            r["net"] = parts[0].split(".")[0]
            r["Ho"] = (r["H"] + 2 * r["pad"] - r["kh"]) // r["stride"] + 1
            r["Wo"] = (r["W"] + 2 * r["pad"] - r["kw"]) // r["stride"] + 1
            r["flops"] = 2.0 * r["N"] * r["O"] * r["C"] * r["kh"] * r["kw"] * r["Ho"] * r["Wo"]
            rows.append(r)
    return rows


def model_file(models_dir, r):
    return os.path.join(models_dir, "%s_n%d.onnx" % (r["name"], r["N"]))
