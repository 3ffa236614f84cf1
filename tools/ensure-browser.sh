#!/usr/bin/env bash
# The admin console's tests drive Debian's Chromium through playwright-core (which brings no
# browser of its own). Installs it with apt when it is missing and we may; otherwise says how,
# and the rest of the tests still run (only the console's own fail, naming the missing browser).
set -euo pipefail

browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Chromium with apt for the admin console's browser tests (once)" >&2
  if apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2 &&
    [ -x "$browser" ]; then
    exit 0
  fi
fi
echo "warning: the admin console's browser tests need Chromium at $browser:" \
  "sudo apt-get install chromium, or set CHROMIUM_PATH to a Chromium binary" >&2
