#!/usr/bin/env bash
# The test command: install what is missing, build the ASan+UBSan binary,
# the unit tests and the fuzz targets, then run every test. The last line
# is "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
make -j"$(nproc)" belfry tests tsan fuzz
exec bash tests/run.sh
