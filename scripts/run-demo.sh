#!/usr/bin/env bash
# The main job: install what is missing, build, create the store under
# ./belfry-data with the demo data on first run, and serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${BELFRY_DATA:-belfry-data}
LISTEN=${BELFRY_LISTEN:-127.0.0.1:8080}

bash scripts/install-deps.sh
make -j"$(nproc)" belfry

if [ ! -f "$DATA/belfry.db" ]; then
  ./belfry init --data "$DATA" --origin "${BELFRY_ORIGIN:-belfry.example.be/log}"
  ./belfry demo --data "$DATA"
fi
echo "Belfry: open http://$LISTEN/ (Ctrl-C to stop)" >&2
exec ./belfry serve --data "$DATA" --listen "$LISTEN"
