#!/usr/bin/env bash
# ledger_bench.sh - the ledger's benchmark, written to bench/results/ledger.txt:
#   1. build/rel/bench/bench_ledger: durable appends/s with 64 writer threads
#      and p50/p99 append -> signed checkpoint; receipts/s in process; the
#      in-process append rate (leaf hash + tree update);
#   2. the same leaves through Go's golang.org/x/mod/sumdb/tlog StoredHashes
#      (bench/go, built offline from Debian's golang-golang-x-mod-dev): ratio;
#   3. over HTTP with wrk against the release `./belfry serve`: receipts/s
#      (random index) and tile requests/s (random full level-0 tiles and entry
#      bundles), and the same tiles written to a folder and served as static
#      files by nginx on another loopback port: ratio.
# Not a test: run by hand, near the end, on an otherwise idle machine.
# Usage: bench/ledger_bench.sh [SECONDS]   (per measurement, default 10)
set -eu
cd "$(dirname "$0")/.."
S=${1:-10}
OUT=bench/results/ledger.txt
BIN=${BELFRY_REL:-./belfry}
mkdir -p bench/results build/rel/bench
[ -x "$BIN" ] || { echo "build ./belfry first (make)" >&2; exit 1; }
make -s build/rel/bench/bench_ledger
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT

LEAVES=1000000
build/rel/bench/bench_ledger --seconds "$S" --leaves "$LEAVES" --out "$OUT" >/dev/null

GOC=$(mktemp -d)
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$GOC go build -o build/rel/bench/tlogbench ./bench/go
rm -rf "$GOC"
best_go=0 best_c=0
for _ in 1 2 3; do # best of three for both sides: the machine is shared
    g=$(build/rel/bench/tlogbench "$LEAVES" | awk '{print $2}')
    c=$(build/rel/bench/bench_ledger --seconds 0.2 --writers 1 --leaves "$LEAVES" --out "$T/c.txt" >/dev/null &&
        awk '/belfry appends\/s/ {print $3}' "$T/c.txt")
    [ "$g" -gt "$best_go" ] && best_go=$g
    [ "$c" -gt "$best_c" ] && best_c=$c
done
{
    echo
    echo "in-process append vs Go x/mod tlog.StoredHashes (same $LEAVES leaves, same root; best of 3 runs each)"
    echo "  belfry appends/s               $best_c"
    echo "  go x/mod appends/s             $best_go   ($(go version | awk '{print $3}'))"
    echo "  ratio                          $(awk -v a="$best_c" -v b="$best_go" 'BEGIN {printf "%.2fx", a / b}')   (target >= 3x)"
} >>"$OUT"

# ---- HTTP ----------------------------------------------------------------
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
N=100000
"$BIN" init --data "$T/d" --origin bench.belfry.test/log >/dev/null 2>&1
seq 0 $((N - 1)) | awk '{printf "{\"record\":%d,\"payload\":\"procurement record placeholder of about a hundred bytes..\"}\n", $1}' |
    "$BIN" log append --data "$T/d" >/dev/null
P1=$(port)
"$BIN" serve --data "$T/d" --listen "127.0.0.1:$P1" --rate 0 >"$T/serve.out" 2>"$T/serve.err" &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$P1/log/checkpoint" >/dev/null 2>&1 && break; sleep 0.1; done

# the tile set: every full level-0 tile and entry bundle, the level-1 partial
full=$((N / 256))
: >"$T/paths"
for i in $(seq 0 $((full - 1))); do
    printf '/log/tile/0/%03d\n/log/tile/entries/%03d\n' "$i" "$i" >>"$T/paths"
done
for i in $(seq 0 $((full / 256 - 1))); do printf '/log/tile/1/%03d\n' "$i" >>"$T/paths"; done
[ $((full % 256)) = 0 ] || printf '/log/tile/1/%03d.p/%d\n' $((full / 256)) $((full % 256)) >>"$T/paths"
mkdir -p "$T/www"
while read -r p; do
    mkdir -p "$T/www$(dirname "$p")"
    curl -sf "http://127.0.0.1:$P1$p" -o "$T/www$p"
done <"$T/paths"
chmod 755 "$T" && chmod -R a+rX "$T/www" # nginx workers run as nobody
P2=$(port)
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path $T/nginx/body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$P2;
        root $T/www;
        location /log/tile/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
    }
}
EOF
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" -g 'daemon off;' 2>"$T/nginx/stderr" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$P2/log/tile/0/000" >/dev/null 2>&1 && break; sleep 0.1; done
cmp -s <(curl -s "http://127.0.0.1:$P1/log/tile/0/005") <(curl -s "http://127.0.0.1:$P2/log/tile/0/005") ||
    { echo "nginx and belfry disagree on a tile" >&2; exit 1; }

cat >"$T/tiles.lua" <<EOF
local paths = {}
for line in io.lines("$T/paths") do paths[#paths + 1] = line end
math.randomseed(42)
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
EOF
cat >"$T/proof.lua" <<EOF
math.randomseed(7)
request = function() return wrk.format("GET", "/log/proof/" .. math.random(0, $((N - 1)))) end
EOF
rps() { wrk -t2 -c64 -d"${S}s" -s "$1" "$2" | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
b_tiles=$(rps "$T/tiles.lua" "http://127.0.0.1:$P1")
n_tiles=$(rps "$T/tiles.lua" "http://127.0.0.1:$P2")
b_proof=$(rps "$T/proof.lua" "http://127.0.0.1:$P1")
{
    echo
    echo "over HTTP (wrk -t2 -c64 -d${S}s on the same 2 cores, keep-alive, no gzip; log of $N entries)"
    echo "  receipts/s (/log/proof/<random>)      $b_proof"
    echo "  tiles/s belfry serve                  $b_tiles   ($(wc -l <"$T/paths") paths: level-0 tiles, entry bundles, level-1 tiles)"
    echo "  tiles/s nginx static files            $n_tiles   ($(nginx -v 2>&1 | sed 's/.*: //'), same bytes from a folder)"
    echo "  ratio belfry / nginx                  $(awk -v a="$b_tiles" -v b="$n_tiles" 'BEGIN {printf "%.0f%%", 100 * a / b}')   (target >= 80%)"
    echo
    echo "# run $(date -u +%Y-%m-%dT%H:%MZ), load average before HTTP part: $(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$OUT"
cat "$OUT"
