#!/usr/bin/env bash
# Installs what the face judge in this folder needs: Node.js and npm (Debian's nodejs and npm with apt-get when
# missing; CI runs as root on Debian 12), then its packages from package-lock.json (face-api.js's nets and
# TensorFlow.js, from the npm registry). `fersnet evaluate-synthesis --face-judge` runs it before every use: cheap when
# everything is there.
# Prints one line and exits 1 when something cannot be installed.
set -uo pipefail
judge="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "FAILED: Node.js and npm are not installed and installing them needs root (apt-get install nodejs npm)"
    exit 1
  fi
  echo "installing nodejs and npm with apt-get..."
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }; then
    echo "FAILED: apt-get could not install nodejs and npm"
    exit 1
  fi
fi
# node_modules is current when it was installed from this very lock file (the copy kept beside it after npm ci).
stamp="$judge/node_modules/.installed-from-package-lock.json"
if ! cmp -s "$judge/package-lock.json" "$stamp"; then
  echo "installing the face judge's packages (npm ci in $judge)..." >&2
  if ! npm ci --no-audit --no-fund --loglevel=error --prefix "$judge" >/dev/null; then
    echo "FAILED: npm ci in $judge"
    exit 1
  fi
  cp "$judge/package-lock.json" "$stamp"
fi
