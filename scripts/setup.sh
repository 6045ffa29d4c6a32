#!/usr/bin/env bash
# One-time machine set-up, run by ./fersnet and scripts/test.sh: cheap when everything is already there.
# OpenCvSharp's native library (OpenCvSharp4.official.runtime.linux-x64) links GTK 3 for its highgui module;
# minimal Debian/Ubuntu images lack it. TorchSharp's libstdc++ mismatch is fixed by the build itself
# (Directory.Build.targets), so nothing else is installed here.
set -euo pipefail

if ! command -v dotnet >/dev/null 2>&1; then
  echo "fersnet setup: the .NET SDK (10.0) is required: https://learn.microsoft.com/dotnet/core/install/linux" >&2
  exit 1
fi

if [ "$(uname -s)" = "Linux" ] && ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libgtk-3\.so\.0'; then
  echo "fersnet setup: installing libgtk-3-0 (needed by OpenCV's native library)..." >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "fersnet setup: run as root: apt-get install libgtk-3-0" >&2; exit 1; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libgtk-3-0 >/dev/null
fi
