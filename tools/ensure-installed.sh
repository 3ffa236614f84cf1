#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package-lock.json, so that
# `npm start` and `npm test` work straight after cloning. The Kafka jars are fetched by the
# launcher itself (infra/kafka/install.sh), on first use.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v java >/dev/null || { echo "Java 17+ is required (Kafka runs from its jars)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "Maven is required (it fetches the Kafka jars)" >&2; exit 1; }

marker=node_modules/.package-lock.json
# `npm install`, not `npm ci`: the registry we install from lacks some other platforms' builds of
# native packages (@swc/core, unrs-resolver), so the lock file cannot list them and `npm ci`
# refuses it. `npm install` still installs the locked versions.
patches_changed=""
if [ -f "$marker" ] && [ -n "$(find patches -name '*.patch' -newer "$marker")" ]; then
  # A changed patch does not apply over the old one: its packages are installed afresh.
  patches_changed=yes
  for patch in patches/*.patch; do
    name="$(basename "$patch" .patch)"   # kafkajs+2.2.4, or @scope+name+1.0.0
    rm -rf "node_modules/$(echo "${name%+*}" | tr + /)"
  done
fi
if [ ! -f "$marker" ] || [ package-lock.json -nt "$marker" ] || [ -n "$patches_changed" ]; then
  echo "installing npm dependencies"
  npm install --no-audit --no-fund
fi
