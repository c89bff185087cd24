#!/usr/bin/env bash
# Installs Debian's Chromium when it is missing (browsers cannot be downloaded on this machine).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "Chromium is missing: run 'sudo apt-get install -y chromium' and retry" >&2
  exit 1
fi
echo "installing Debian's Chromium for the browser tests" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
