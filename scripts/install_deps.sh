#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages lmx builds with, if any is missing (non-interactive).
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config ccache git
      nlohmann-json3-dev libcpp-httplib-dev libpcre2-dev libutf8proc-dev libcli11-dev
      libfmt-dev libcurl4-openssl-dev libopenblas-dev libhwy-dev
      libgtest-dev libgmock-dev libbenchmark-dev clang-format python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "lmx: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
