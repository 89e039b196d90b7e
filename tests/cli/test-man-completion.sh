#!/usr/bin/env bash
# The man pages (made from --help at build time) and the bash completion,
# as TAP. Usage: test-man-completion.sh CNNFILT MAN_DIR COMPLETION_FILE
set -u
cnnfilt=$1
man_dir=$2
completion=$3
n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for line in "$@"; do echo "# $line"; done; }

commands=$("$cnnfilt" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}')
for page in cnnfilt $(for c in $commands; do echo "cnnfilt-$c"; done); do
  file=$man_dir/$page.1
  if [ ! -s "$file" ]; then
    not_ok "man page $page" "missing: $file"
    continue
  fi
  warnings=$(groff -k -man -Tutf8 -ww "$file" 2>&1 >/dev/null)
  if [ -n "$warnings" ]; then not_ok "man page $page renders cleanly" "$warnings"; else ok "man page $page renders cleanly"; fi
done
# the pages carry the options of --help
if grep -q 'keep\\-suffix' "$man_dir/cnnfilt-edges.1" && grep -q 'device' "$man_dir/cnnfilt-run.1"; then
  ok "the pages carry each command's options"
else
  not_ok "the pages carry each command's options"
fi

# complete LINE: what the completion offers at the end of LINE
complete_line () {
  PATH="$(dirname "$cnnfilt"):$PATH" bash -c '
    source "$1"
    line=$2
    COMP_LINE=$line
    COMP_POINT=${#line}
    read -r -a COMP_WORDS <<<"$line"
    [[ "$line" == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _cnnfilt
    printf "%s\n" "${COMPREPLY[@]}"' sh "$completion" "$1"
}
expect () { # expect NAME LINE WORD...: every WORD is offered
  local name=$1 line=$2; shift 2
  local got
  got=$(complete_line "$line")
  for word in "$@"; do
    if ! grep -qx -- "$word" <<<"$got"; then
      not_ok "$name" "after '$line': '$word' not offered; got: $(echo $got)"
      return
    fi
  done
  ok "$name"
}
expect "completion: subcommands" "cnnfilt ed" edges
expect "completion: a command's options" "cnnfilt edges --no" --normalize --no-follow
expect "completion: op names for inspect" "cnnfilt inspect so" sobel softmax
expect "completion: an op's properties in a pipeline" "cnnfilt run 'grayscale ! sobel dir" direction=
expect "completion: op names after !" "cnnfilt run 'grayscale ! gau" gaussian-blur
expect "completion: devices" "cnnfilt edges --device c" cpu

echo "1..$n"
[ $failed -eq 0 ]
