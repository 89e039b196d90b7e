#!/usr/bin/env bash
# The ops' public contract (names, inputs, properties with types, ranges,
# defaults and blurbs) against the copy checked in as docs/ops.json, as TAP.
# A change there is a change of the public interface: when it is meant,
# regenerate the file with `cnnfilt ops --json > docs/ops.json` in the same
# commit. Usage: test-ops-contract.sh CNNFILT DOCS_OPS_JSON
set -u
cnnfilt=$1
expected=$2
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
if "$cnnfilt" ops --json > "$actual" && diff -u "$expected" "$actual" > "$actual.diff"; then
  echo "ok 1 - cnnfilt ops --json matches docs/ops.json"
else
  echo "not ok 1 - cnnfilt ops --json differs from docs/ops.json (regenerate it if the change is meant)"
  sed 's/^/# /' "$actual.diff" | head -40
fi
rm -f "$actual.diff"
echo "1..1"
