#!/usr/bin/python3
"""Man pages from the program's own --help (never a second text).

    gen-man.py CNNFILT VERSION OUT_DIR

Writes OUT_DIR/cnnfilt.1 from `cnnfilt --help` and OUT_DIR/cnnfilt-CMD.1
from `cnnfilt CMD --help` for each command it lists: the usage line as the
synopsis, the first paragraph as the description, option lines as tagged
paragraphs, the rest as they are.
"""
import os
import re
import subprocess
import sys

cnnfilt, version, out_dir = sys.argv[1:4]
os.makedirs(out_dir, exist_ok=True)
env = dict(os.environ, LC_ALL="C.UTF-8", COLUMNS="200")


def help_text(*args):
    done = subprocess.run([cnnfilt, *args, "--help"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, env=env)
    return done.stdout


def roff(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return re.sub(r"^([.'])", r"\\&\1", text, flags=re.M)


OPTION = re.compile(r"^\s{2,}(-\S.*?)\s{2,}(\S.*)$")


def page(name, summary, text):
    lines = text.rstrip().splitlines()
    out = [f'.TH {name.upper()} 1 "" "cnnfilt {version}" "User Commands"',
           ".SH NAME", f"{roff(name)} \\- {roff(summary)}"]
    body = lines
    if lines and lines[0].startswith("Usage:"):
        rest = lines[0][len("Usage:"):].strip()
        if rest:  # "Usage: cnnfilt COMMAND [OPTION…]"
            synopsis, body = rest, lines[1:]
        else:     # "Usage:" then "  edges [OPTION…] INPUT… — what it does"
            synopsis, body = "cnnfilt " + lines[1].strip().split(" — ")[0], lines[2:]
        out += [".SH SYNOPSIS", roff(synopsis)]
    out.append(".SH DESCRIPTION")
    for line in body:
        m = OPTION.match(line)
        if m:
            out += [".TP", f"\\fB{roff(m.group(1))}\\fR", roff(m.group(2))]
        elif not line.strip():
            out.append(".PP")
        elif line.rstrip().endswith(":") and not line.startswith(" "):
            out.append(f".SS {roff(line.rstrip().rstrip(':'))}")
        elif line.startswith("  "):
            out += [".nf", roff(line.strip()), ".fi"]
        else:
            out.append(roff(line))
    out += [".SH SEE ALSO", "\\fBcnnfilt\\fR(1); the library's reference in share/doc/Cnnfilt\\-1.0"]
    with open(os.path.join(out_dir, name + ".1"), "w") as f:
        f.write("\n".join(out) + "\n")


main = help_text()
page("cnnfilt", "image filters and CNN feature extraction over folders of images", main)
commands = re.findall(r"^  ([a-z]+)\s{2,}(.+)$", main.split("Commands:")[1].split("\n\n")[0], re.M)
for command, summary in commands:
    page(f"cnnfilt-{command}", summary, help_text(command))
print(" ".join(f"cnnfilt-{c}.1" for c, _ in commands))
