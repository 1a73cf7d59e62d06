#!/usr/bin/env bash
# Where the binary finds its models, as a user meets it: --model-path > EDGEOCR_MODEL_PATH >
# the config file's model_path (serve) > ./models > /usr/share/edgeocr/models > ../share/edgeocr/models
# beside the binary, and an error that names every place looked. A copy of the binary is
# "installed" in a temporary prefix; a folder of broken models shows which place was taken.
# Usage: model_lookup_test.sh EDGEOCR_BINARY MODEL_DIR IMAGE
set -uo pipefail
binary=$(realpath "$1") models=$(realpath "$2") image=$(realpath "$3")
[ -f "$image" ] || { echo "SKIP: no image at $image"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset EDGEOCR_MODEL_PATH EDGEOCR_CONFIG
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; echo "--- stderr"; cat "$work/err"; fail=1; fi; }
# run DIR ARGS...: the command in folder DIR; exit status in $rc, output in $work/out, $work/err.
run() { local dir=$1; shift; (cd "$dir" && "$@") > "$work/out" 2> "$work/err"; rc=$?; }

mkdir -p "$work/prefix/bin" "$work/prefix/share/edgeocr" "$work/empty" "$work/broken/models" "$work/good"
cp "$binary" "$work/prefix/bin/edgeocr"
edgeocr=$work/prefix/bin/edgeocr
# Models that exist but cannot be loaded: a place that is taken fails, naming itself.
echo "not a model" > "$work/broken/models/ch_PP-OCRv4_det_infer.onnx"
ln -s "$models" "$work/good/models"
installed_has_models=no
compgen -G "/usr/share/edgeocr/models/*.onnx" >/dev/null && installed_has_models=yes

if [ $installed_has_models = no ]; then
  run "$work/empty" "$edgeocr" ocr "$image"
  check "no models anywhere: exit 2, every place named" \
    "[ $rc = 2 ] && grep -qF '[./models]' '$work/err' && grep -qF '/usr/share/edgeocr/models [installed data folder]' '$work/err' &&
     grep -qF '$work/prefix/share/edgeocr/models [beside the binary]' '$work/err'"
else
  echo "note: /usr/share/edgeocr/models holds models here; the error listing is not checked"
fi

ln -s "$models" "$work/prefix/share/edgeocr/models"
run "$work/empty" "$edgeocr" ocr "$image"
check "from any folder: the models beside the binary (../share/edgeocr/models)" "[ $rc = 0 ] && [ -s '$work/out' ]"
run "$work/broken" "$edgeocr" ocr "$image"
check "./models comes before the folders of the install" "[ $rc = 2 ] && grep -qF 'models/' '$work/err'"
run "$work/broken" env EDGEOCR_MODEL_PATH="$models" "$edgeocr" ocr "$image"
check "EDGEOCR_MODEL_PATH comes before ./models" "[ $rc = 0 ] && [ -s '$work/out' ]"
run "$work/broken" env EDGEOCR_MODEL_PATH="$work/missing-env" "$edgeocr" ocr --model-path "$models" "$image"
check "--model-path comes before EDGEOCR_MODEL_PATH" "[ $rc = 0 ] && [ -s '$work/out' ]"
run "$work/good" env EDGEOCR_MODEL_PATH="$models" "$edgeocr" ocr --model-path "$work/missing-flag" "$image"
check "a named folder is used as given, named in the error" "[ $rc = 2 ] && grep -qF 'missing-flag [--model-path]' '$work/err'"

# serve (in a private network namespace, so the port is free): the config file's model_path
# comes after the environment and before ./models. A missing named folder stops serve at start.
if [ "$(id -u)" -eq 0 ]; then
  printf 'model_path = "%s"\n' "$work/missing-config" > "$work/good/edgeocr.toml"
  run "$work/good" unshare --net timeout 60 "$edgeocr" serve --config edgeocr.toml --port 18001
  check "serve: the config file's model_path comes before ./models" \
    "[ $rc != 0 ] && [ $rc != 124 ] && grep -qF 'missing-config [config edgeocr.toml]' '$work/err'"
  run "$work/good" env EDGEOCR_MODEL_PATH="$work/missing-env" unshare --net timeout 60 "$edgeocr" serve --config edgeocr.toml --port 18001
  check "serve: EDGEOCR_MODEL_PATH comes before the config file" \
    "[ $rc != 0 ] && [ $rc != 124 ] && grep -qF 'missing-env [EDGEOCR_MODEL_PATH]' '$work/err'"
else
  echo "note: not root, serve's order (needs a network namespace) not checked"
fi
exit $fail
