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
  # Tokens to try the officer workspace and the auditor view with; kept
  # in the data directory, readable by the operator only.
  umask 077
  {
    echo "officer (DG MR): $(./belfry token create --data "$DATA" --role officer \
      --buyer BE-BCE_KBO-0308357159-MR --label demo-officer --expires 30d)"
    echo "auditor:         $(./belfry token create --data "$DATA" --role auditor \
      --label demo-auditor --expires 30d)"
  } > "$DATA/demo-tokens.txt"
  echo "Demo tokens (also in $DATA/demo-tokens.txt):" >&2
  cat "$DATA/demo-tokens.txt" >&2
fi
echo "Belfry: open http://$LISTEN/ (Ctrl-C to stop)" >&2
exec ./belfry serve --data "$DATA" --listen "$LISTEN"
