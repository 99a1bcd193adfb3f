#!/usr/bin/env bash
# monitor_tiles.sh - `belfry monitor` against static tlog-tiles logs: the
# tessera test log served by nginx from a folder (as any static mirror or
# CDN would), and the 70 000-entry C2SP layout read as a local directory.
# Good logs pass, incrementally through every published checkpoint; a
# tampered tile, bundle, signature, a truncated or padded bundle, an entry
# rewritten below the saved size, and a validly signed checkpoint whose
# root does not match the served tree each fail with exit 1 and a message
# naming the problem.
. "$(dirname "$0")/lib.sh"
S=$SHARED/tlog
[ -d "$S" ] && S=$(cd "$S" && pwd)
[ -d "$S/tessera-log" ] && [ -d "$S/c2sp-70000" ] || skip_all "no shared tlog data under $S"
V=$TESSERA_VKEY

# ---- nginx serving a copy of the tessera log --------------------------
mkdir -p "$T/www/log" "$T/nginx"
cp -r "$S/tessera-log/tile" "$T/www/log/"
cp "$S/tessera-log/checkpoint.7" "$T/www/log/checkpoint"
URL=
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$NGINX" ]; then
    NPORT=$((20000 + RANDOM % 20000))
    cat >"$T/nginx/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $T/nginx; proxy_temp_path $T/nginx; fastcgi_temp_path $T/nginx;
    uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
    gzip on; gzip_types *;
    default_type application/octet-stream;
    server { listen 127.0.0.1:$NPORT; root $T/www; }
}
EOF
    "$NGINX" -c "$T/nginx/nginx.conf" -p "$T/nginx" -g 'daemon off;' 2>"$T/nginx.err" &
    PIDS+=($!)
    for i in $(seq 1 50); do curl -sf "http://127.0.0.1:$NPORT/log/checkpoint" >/dev/null && URL="http://127.0.0.1:$NPORT/log" && break; sleep 0.1; done
fi
if [ -n "$URL" ]; then
    echo "# tessera log served by nginx at $URL"
else
    echo "# nginx unavailable ($(head -n1 "$T/nginx.err" 2>/dev/null | cut -c1-200)); reading the folder directly"
    URL="$T/www/log"
fi

mon() { "$B" monitor --vkey "$V" --state "$1" "$URL" 2>"$T/err"; }
fails() { # description, state file, pattern
    local rc
    mon "$2" >/dev/null; rc=$?
    [ $rc = 1 ] && grep -q "$3" "$T/err"; ok $? "$1: exit 1 with \"$3\" ($(head -n1 "$T/err" | cut -c1-160))"
}
restore() { rm -rf "$T/www/log/tile"; cp -r "$S/tessera-log/tile" "$T/www/log/"; }
flip() { # file offset
    printf "$(printf '\\%03o' $(( $(od -An -tu1 -j "$2" -N1 "$1") ^ 1 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

mon "$T/s.json" >/dev/null; ok $? "tessera log at size 7 verifies from scratch"
cp "$T/s.json" "$T/s7.json"
cp "$S/tessera-log/checkpoint.15" "$T/www/log/checkpoint"
out=$(mon "$T/s.json"); ok $? "then grows to 15 incrementally"
echo "$out" | grep -q "grew from 7 to 15"; ok $? "reported as growth 7 -> 15"

flip "$T/www/log/tile/entries/000.p/15" 40
fails "a flipped byte in an entry bundle" "$T/fresh1.json" "MISMATCH"
restore; flip "$T/www/log/tile/0/000.p/15" 200
fails "a flipped byte in a hash tile" "$T/fresh2.json" "MISMATCH: hash 6 of tile 0/0"
restore; flip "$T/www/log/tile/entries/000.p/15" 13
cp "$T/s7.json" "$T/s7b.json"
fails "an entry below the saved size rewritten in the bundle" "$T/s7b.json" "REWRITTEN HISTORY: entry"
cmp -s "$T/s7.json" "$T/s7b.json"; ok $? "the saved state is left as it was"
restore; head -c 60 "$S/tessera-log/tile/entries/000.p/15" >"$T/www/log/tile/entries/000.p/15"
fails "a truncated bundle" "$T/fresh3.json" "ends inside entry"
restore; printf 'xx' >>"$T/www/log/tile/entries/000.p/15"
fails "a bundle with trailing bytes" "$T/fresh4.json" "bytes after its 15 entries"
restore; rm "$T/www/log/tile/0/000.p/15"
fails "a missing partial tile" "$T/fresh5.json" "404\|no such file"
restore

sed '$s/\(.\)\(.\{6\}\)$/Q\2/' "$S/tessera-log/checkpoint.15" >"$T/www/log/checkpoint"
fails "a corrupted checkpoint signature" "$T/fresh6.json" "BAD SIGNATURE"

# a validly signed checkpoint of size 15 over other leaves, served with the genuine tiles
printf '%s\n' "$TESSERA_SKEY" >"$T/tessera.key"; chmod 600 "$T/tessera.key"
"$B" init --data "$T/alt" --key-file "$T/tessera.key" >/dev/null 2>&1
printf 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven\ntwelve\nthirteen\nfourteen\nfifteen\n' |
    "$B" log append --data "$T/alt" >/dev/null 2>&1
"$B" log checkpoint --data "$T/alt" >"$T/www/log/checkpoint" 2>/dev/null
[ "$(sed -n 2p "$T/www/log/checkpoint")" = 15 ]; ok $? "made a validly signed size-15 checkpoint over other leaves"
cp "$T/s7.json" "$T/s7c.json"
fails "that checkpoint against the state at 7" "$T/s7c.json" "FORK: the checkpoint of size 15 is not consistent"
fails "that checkpoint with no earlier state" "$T/fresh7.json" "do not hash to its signed root"
[ -s "$T/s7c.json.evidence" ] && grep -c '^— example.com/log/testdata ' "$T/s7c.json.evidence" | grep -qx 2
ok $? "both signed checkpoints are kept as evidence"

# ---- the 70 000-entry layout, every checkpoint in turn ----------------
mkdir -p "$T/big"
ln -s "$S/c2sp-70000/tile" "$T/big/tile"
good=0
for size in 1 255 256 257 1000 65536 65537 70000; do
    cp "$S/c2sp-70000/checkpoint.$size" "$T/big/checkpoint"
    "$B" monitor --quiet --vkey "$V" --state "$T/big.json" "$T/big" 2>"$T/err" && good=$((good + 1)) || sed 's/^/# /' "$T/err"
done
[ $good = 8 ]; ok $? "c2sp-70000: all 8 checkpoints (1 .. 70000, multi-level partial tiles) verify incrementally"
out=$("$B" monitor --vkey "$V" --state "$T/big2.json" "$T/big" 2>/dev/null)
echo "$out" | grep -q "70000 new entries, 274 entry bundles"; ok $? "c2sp-70000 from scratch: 70000 entries in 274 bundles"
rm "$T/big/tile"; cp -r "$S/c2sp-70000/tile" "$T/big/tile"
flip "$T/big/tile/1/000" 4000
"$B" monitor --quiet --vkey "$V" --state "$T/big3.json" "$T/big" 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "MISMATCH: hash 125 of tile 1/0" "$T/err"; ok $? "a flipped byte in level-1 tile 1/000 is found ($(head -n1 "$T/err" | cut -c1-120))"
done_testing
