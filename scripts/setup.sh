#!/usr/bin/env bash
# One-time machine set-up, run by ./fersnet and scripts/test.sh: cheap when everything is already there.
# OpenCvSharp's native library (OpenCvSharp4.official.runtime.linux-x64) links GTK 3 for its highgui module;
# minimal Debian/Ubuntu images lack it. `--detector haar` reads OpenCV's cascades from Debian's opencv-data. TorchSharp's libstdc++ mismatch is fixed by the build itself
# (Directory.Build.targets), so nothing else is installed here.
set -euo pipefail

if ! command -v dotnet >/dev/null 2>&1; then
  echo "fersnet setup: the .NET SDK (10.0) is required: https://learn.microsoft.com/dotnet/core/install/linux" >&2
  exit 1
fi

[ "$(uname -s)" = "Linux" ] || exit 0
missing=()
# grep reads all of ldconfig's output (no -q): under pipefail, grep -q exiting at the first match would kill
# ldconfig with SIGPIPE and make the test fail at random.
if ! /sbin/ldconfig -p 2>/dev/null | grep 'libgtk-3\.so\.0' >/dev/null; then missing+=(libgtk-3-0); fi
if [ ! -f /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml ]; then missing+=(opencv-data); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "fersnet setup: installing ${missing[*]} (OpenCV's native library needs GTK 3; opencv-data has its face cascades)..." >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "fersnet setup: run as root: apt-get install ${missing[*]}" >&2; exit 1; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
