#!/usr/bin/env bash
# Copies the Kafka broker and tools jars named in pom.xml into a cache directory.
# A second run with the same pom.xml does no network work: the cache is keyed by the pom's hash.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="$here/pom.xml"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
hash="$(sha256sum "$pom" | cut -c1-12)"
cache_root="${KAFKA_JARS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/order-ledger}"
libs="$cache_root/kafka-$version-$hash"

if [ -f "$libs/.complete" ]; then
  echo "$libs"
  exit 0
fi

command -v java >/dev/null || { echo "java not found: Java 17+ is required to run Kafka" >&2; exit 1; }
command -v mvn >/dev/null || { echo "mvn not found: Maven is required to fetch the Kafka jars" >&2; exit 1; }

tmp="$libs.partial.$$"
rm -rf "$tmp"
# On stderr: stdout is the directory, read by the launchers.
echo "fetching the Kafka $version jars from Maven Central into $libs (first run only; a minute or two)" >&2
mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >&2
touch "$tmp/.complete"
rm -rf "$libs"
mv "$tmp" "$libs"
echo "$libs"
