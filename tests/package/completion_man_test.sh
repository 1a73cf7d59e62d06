#!/usr/bin/env bash
# The packaged bash completion and man page against the binary they ship with: completion
# offers every subcommand and the values options accept, the man page names every subcommand.
# Usage: completion_man_test.sh EDGEOCR_BINARY COMPLETION_FILE MAN_PAGE_SOURCE
set -uo pipefail
binary=$(realpath "$1") completion=$(realpath "$2") man=$(realpath "$3")
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
ln -s "$binary" "$bin/edgeocr"
export PATH=$bin:$PATH
cd "$bin"  # file names offered from here: edgeocr
# shellcheck source=/dev/null
. "$completion" || { echo "FAIL: cannot source $completion"; exit 1; }

fail=0
# What completing the command line $1 (the word under the cursor is its last word) offers.
complete_line() {
  read -ra COMP_WORDS <<< "$1"
  [[ $1 == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _edgeocr
  printf '%s\n' "${COMPREPLY[@]}" | sort -u
}
expect() {  # expect NAME LINE WORD...: completing LINE offers every WORD
  local name=$1 line=$2 offered w missing=()
  shift 2
  offered=$(complete_line "$line")
  for w in "$@"; do grep -qxF -- "$w" <<< "$offered" || missing+=("$w"); done
  if [ ${#missing[@]} -eq 0 ]; then echo "ok: $name"; else
    echo "FAIL: $name: '$line' does not offer ${missing[*]}; offers: $(tr '\n' ' ' <<< "$offered")"; fail=1; fi
}
refuse() {  # refuse NAME LINE WORD...: completing LINE offers none of the WORDs
  local name=$1 line=$2 offered w extra=()
  shift 2
  offered=$(complete_line "$line")
  for w in "$@"; do grep -qxF -- "$w" <<< "$offered" && extra+=("$w"); done
  if [ ${#extra[@]} -eq 0 ]; then echo "ok: $name"; else echo "FAIL: $name: '$line' offers ${extra[*]}"; fail=1; fi
}

subcommands=$(edgeocr --help | sed -n '/^Subcommands:/,$ s/^  \([a-z][a-z0-9-]*\) .*/\1/p')
[ "$(wc -l <<< "$subcommands")" -ge 5 ] || { echo "FAIL: cannot read the subcommands from edgeocr --help"; exit 1; }
# shellcheck disable=SC2086
expect "every subcommand at the top level" "edgeocr " $subcommands
refuse "no file names at the top level" "edgeocr " edgeocr
expect "options of the top level" "edgeocr --" --help --version
expect "subcommands of a subcommand" "edgeocr sync " status keygen
expect "every output format of ocr" "edgeocr ocr --format " text json jsonl tsv hocr alto pdf
expect "short option values" "edgeocr ocr -f h" hocr
expect "values listed in a setting's help" "edgeocr serve --backend " native openai hybrid
expect "options of serve" "edgeocr serve --web" --web-port
expect "options after other options and values" "edgeocr ocr --format json --mod" --model-path --models
expect "a folder after --model-path" "edgeocr ocr --model-path $bin/" "$bin/edgeocr"
expect "input files after the subcommand" "edgeocr ocr $bin/" "$bin/edgeocr"
refuse "no file names for a number" "edgeocr serve --port " "$bin/edgeocr"

# The man page names every subcommand (as .B/.BR text, where roff escapes hyphens).
for sub in $subcommands; do
  if grep -E '^\.(B|BR|TP)( |$)' "$man" | sed 's/\\-/-/g' | grep -qwF -- "$sub"; then :; else
    echo "FAIL: the man page does not name the subcommand $sub"; fail=1; fi
done
[ $fail -eq 0 ] && echo "ok: the man page names every subcommand ($(tr '\n' ' ' <<< "$subcommands"))"
exit $fail
