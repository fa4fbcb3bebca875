#!/usr/bin/env bash
# Fetch the Elasticsearch integ-test distribution from Maven Central into .cache/elasticsearch/
# and print its home. Idempotent: an unpacked distribution is reused.
#
# 8.19.x is the newest line published there (no 9.x) and runs on the machine's Java 17.
# The distribution ships only a few modules (no analysis-common, no mapper-extras): Orchid
# folds and stems text in Python instead (src/orchid/services/search/text.py).
set -euo pipefail

VERSION="${ELASTICSEARCH_VERSION:-8.19.21}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/elasticsearch"
HOME_DIR="$CACHE/elasticsearch-$VERSION"
ZIP="$CACHE/elasticsearch-$VERSION.zip"

if [ -x "$HOME_DIR/bin/elasticsearch" ]; then
  echo "$HOME_DIR"
  exit 0
fi
command -v mvn >/dev/null || { echo "mvn not found: apt-get install maven" >&2; exit 1; }
command -v unzip >/dev/null || { echo "unzip not found: apt-get install unzip" >&2; exit 1; }
mkdir -p "$CACHE"
if [ ! -s "$ZIP" ]; then
  mvn -q -B dependency:copy \
    "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$VERSION:zip" \
    "-DoutputDirectory=$CACHE" >&2
fi
# Unpack beside the final folder and rename, so an interrupted unzip never looks complete.
rm -rf "$HOME_DIR.partial"
mkdir -p "$HOME_DIR.partial"
unzip -q "$ZIP" -d "$HOME_DIR.partial"
mv "$HOME_DIR.partial/elasticsearch-$VERSION" "$HOME_DIR"
rm -rf "$HOME_DIR.partial" "$ZIP"
echo "$HOME_DIR"
