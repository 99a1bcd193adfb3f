#!/usr/bin/env bash
# run.sh - interoperability with the Go checksum database's client code.
#
# Builds tests/interop/main.go offline against Debian's golang.org/x/mod
# (GOPATH mode, a workspace in a temp dir), starts a Belfry log with a
# Belfry witness, appends 600 entries (two bundles of 256 and a partial
# one), waits until the served checkpoint carries the witness's
# cosignature, and runs the Go checker, whose TAP is this test's output.
# It also hands the Go side a checkpoint Belfry signed with the x/mod
# known-answer key (PeterNeumann) for a byte-for-byte cross-check.
set -u
B=${BELFRY:-build/asan/belfry}
B=$(cd "$(dirname "$B")" && pwd)/$(basename "$B")
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
bail() { echo "not ok 1 - $*"; for f in "$T"/*.err; do [ -f "$f" ] && sed 's/^/# /' "$f" | tail -5; done; echo "1..1"; exit 1; }

if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/golang.org/x/mod/sumdb ]; then
    echo "ok 1 # SKIP go or golang-golang-x-mod-dev not installed"; echo "1..1"; exit 0
fi
[ -x "$B" ] || bail "no belfry binary at $B"

mkdir -p "$T/gopath/src/belfryinterop"
cp "$HERE/main.go" "$T/gopath/src/belfryinterop/"
(cd "$T/gopath/src/belfryinterop" && GO111MODULE=off GOPATH="$T/gopath:/usr/share/gocode" GOCACHE="$T/gocache" \
    GOFLAGS= go build -o "$T/interop" .) >"$T/go.err" 2>&1 || bail "go build of the x/mod harness failed"

port_of() { # file -> port from "listening on port N"
    local i
    for i in $(seq 1 300); do
        grep -q "listening on port" "$1" 2>/dev/null && { sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$1" | head -1; return; }
        sleep 0.1
    done
}

# the x/mod known-answer key signs a Belfry checkpoint
printf 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n' >"$T/pn.key"
chmod 600 "$T/pn.key"
"$B" init --data "$T/pn" --key-file "$T/pn.key" >/dev/null 2>"$T/pn.err" || bail "belfry init with the PeterNeumann key"
"$B" log checkpoint --data "$T/pn" >"$T/pn.cp" 2>>"$T/pn.err" || bail "belfry log checkpoint"

"$B" init --data "$T/log" --origin interop.belfry.test/log >/dev/null 2>"$T/init.err" || bail "belfry init"
LOGKEY=$("$B" log key --data "$T/log") || bail "belfry log key"
WKEY=$("$B" witness keygen --name witness.interop.test --out "$T/wkey" 2>"$T/keygen.err") || bail "witness keygen"

"$B" witness --data "$T/wit" --key-file "$T/wkey" --log "$LOGKEY" --listen 127.0.0.1:0 >"$T/wit.out" 2>"$T/wit.err" &
PIDS+=($!)
WPORT=$(port_of "$T/wit.out")
[ -n "$WPORT" ] || bail "witness did not start"
"$B" serve --data "$T/log" --listen 127.0.0.1:0 --witness "http://127.0.0.1:$WPORT" --witness-vkey "$WKEY" \
    >"$T/serve.out" 2>"$T/serve.err" &
PIDS+=($!)
PORT=$(port_of "$T/serve.out")
[ -n "$PORT" ] || bail "belfry serve did not start"

seq 0 599 | awk '{printf "interop entry %d: {\"n\":%d}\n", $1, $1 * 7}' >"$T/entries"
head -n 300 "$T/entries" | "$B" log append --data "$T/log" >/dev/null 2>"$T/append.err" || bail "append 1"
tail -n 300 "$T/entries" | "$B" log append --data "$T/log" >/dev/null 2>>"$T/append.err" || bail "append 2"

# wait until the served checkpoint is size 600 and cosigned
for i in $(seq 1 300); do
    cp=$(curl -sf "http://127.0.0.1:$PORT/log/checkpoint")
    if [ "$(echo "$cp" | sed -n 2p)" = 600 ] && echo "$cp" | grep -q "^— witness.interop.test "; then break; fi
    sleep 0.1
done
echo "$cp" | grep -q "^— witness.interop.test " || bail "the served checkpoint never carried the witness cosignature"

"$T/interop" -base "http://127.0.0.1:$PORT" -vkey "$LOGKEY" -witness "$WKEY" -entries "$T/entries" -old 300 \
    -pn-checkpoint "$T/pn.cp"
