#!/bin/sh
# Installs EdgeOCR from this folder on Debian 12 without any network access: the edgeocr
# package and every library it needs that a minimal Debian 12 lacks are in this folder.
# Run as root. Upgrading: run the install script of the newer bundle.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root (sudo $0)" >&2; exit 1; }
# apt takes the local .deb files as the only source; no index download is attempted.
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  -o Acquire::Languages=none -o APT::Get::List-Cleanup=false \
  "$here"/debs/*.deb "$here"/edgeocr_*.deb
echo "install.sh: installed $(dpkg-query -W -f='${Package} ${Version}' edgeocr)"
echo "install.sh: try 'edgeocr ocr IMAGE'; the service: systemctl enable --now edgeocr"
