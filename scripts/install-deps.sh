#!/usr/bin/env bash
# Installs the Debian 12 packages EdgeOCR builds, runs and tests with. Idempotent.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config
  libdnnl-dev libonnx-dev libprotobuf-dev protobuf-compiler
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-dnn-dev
  libcpp-httplib-dev libboost-dev nlohmann-json3-dev libsqlite3-dev libssl-dev libspdlog-dev libcli11-dev
  libgtest-dev libbenchmark-dev libfreetype-dev fonts-noto-cjk
  libtesseract-dev tesseract-ocr-eng tesseract-ocr-chi-sim
  libpq-dev postgresql zlib1g-dev python3 python3-requests wrk chromium curl
  clang-14 libclang-rt-14-dev libomp-14-dev bc
)
missing=()
# Node.js (for the browser test driver) may come from elsewhere; only install Debian's if absent.
command -v node >/dev/null || PKGS+=(nodejs npm)
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "install-deps: all packages present"; exit 0; fi
echo "install-deps: installing ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
