#!/usr/bin/env bash
# System packages the test suite needs beyond npm: Debian's PyTorch/ONNX for the model tests
# (there is no PyPI here) and Chromium for the browser tests (browser downloads fail here).
# Installs them with apt-get when missing and we are root; otherwise says what to install.
set -euo pipefail
need=()
/usr/bin/python3 -c "import torch, onnx, numpy, PIL" 2>/dev/null || need+=(python3-torch python3-onnx python3-numpy python3-pil)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "please install: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
