#!/usr/bin/env bash
# Installs what the browser test needs (tests/Fersnet.Tests/BrowserTests.cs): Debian's chromium and chromium-driver
# (/usr/bin/chromium, /usr/bin/chromedriver), with apt-get when they are missing. CI runs as root on Debian 12.
# Prints one line and exits 1 when they are missing and cannot be installed.
set -uo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "FAILED: chromium and chromium-driver are not installed and installing them needs root (apt-get install chromium chromium-driver)"
  exit 1
fi
echo "installing chromium and chromium-driver with apt-get..."
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; }; then
  echo "FAILED: apt-get could not install chromium and chromium-driver"
  exit 1
fi
command -v chromium >/dev/null && command -v chromedriver >/dev/null || { echo "FAILED: chromium or chromedriver is still missing after apt-get"; exit 1; }
