#!/usr/bin/env bash
# Installs what Belfry needs on Debian 12 (bookworm), as root: the C
# toolchain and libraries, the independent verifiers and test tools, and
# the npm packages of package.json. Safe to run again: it installs only
# what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  build-essential pkg-config clang libclang-rt-14-dev
  libssl-dev libsqlite3-dev sqlite3 libmicrohttpd-dev libjansson-dev libmimalloc-dev
  zlib1g-dev libzstd-dev zstd liblz4-dev libcurl4-openssl-dev curl jq
  python3 python3-cryptography python3-lz4 bc gzip
  golang-go golang-golang-x-mod-dev
  chromium fonts-liberation nginx-light wrk hyperfine
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Front-end libraries and test tools (never a downloaded browser: the
# browser tests drive Debian's /usr/bin/chromium).
if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ] ||
   { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  echo "install-deps: npm install" >&2
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
fi
