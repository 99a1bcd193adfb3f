#!/usr/bin/env bash
# ledger_tessera.sh - the tessera test log reproduced byte for byte over
# HTTP by the real binary: `belfry init --key-file` with tessera's
# published key, then `belfry log append` of its 15 leaves one at a time
# through a running `belfry serve` (admin socket), comparing
# /log/checkpoint after each append with checkpoint.0..15, then every
# partial tile, entry bundle and the tlog-proof receipt for index 6, and
# the response headers tlog-tiles asks for.
. "$(dirname "$0")/lib.sh"
D=$SHARED/tlog/tessera-log
P=$SHARED/tlog/tessera-index6-size15.tlog-proof
[ -d "$D" ] || skip_all "no shared data ($D)"

echo "$TESSERA_SKEY" >"$T/key"
vkey=$("$B" init --data "$T/d" --key-file "$T/key" 2>"$T/init.err"); rc=$?
ok $rc "belfry init --key-file with the tessera key"
[ "$vkey" = "$TESSERA_VKEY" ]
ok $? "init prints tessera's verifier key"
[ "$("$B" log key --data "$T/d")" = "$vkey" ]; ok $? "belfry log key prints the same key"
[ "$(stat -c %a "$T/d/log/key")" = 600 ]; ok $? "the private key file has mode 0600"

start_serve "$T/d" "$T/serve.out" "$T/serve.err" --rate 0
ok $([ -n "$PORT" ]; echo $?) "belfry serve is listening (port ${PORT:-none})"
U=$U/log
[ -S "$T/d/admin.sock" ] && [ "$(stat -c %a "$T/d/admin.sock")" = 600 ]; ok $? "admin socket exists with mode 0600"

same=0
curl -sf "$U/checkpoint" -o "$T/cp" && cmp -s "$T/cp" "$D/checkpoint.0" && same=$((same + 1))
i=0
for leaf in one two three four five six seven eit nain ten ileven twelf threeten fourten fivten; do
    idx=$(echo "$leaf" | "$B" log append --data "$T/d")
    [ "$idx" = "$i" ] || echo "# append $leaf printed '$idx', want $i"
    i=$((i + 1))
    curl -sf "$U/checkpoint" -o "$T/cp" && cmp -s "$T/cp" "$D/checkpoint.$i" && same=$((same + 1))
done
ok $([ $same = 16 ]; echo $?) "served checkpoints after each append equal checkpoint.0..15 ($same of 16)"

tiles=0 bundles=0
for w in $(seq 15); do
    curl -sf "$U/tile/0/000.p/$w" -o "$T/t" && cmp -s "$T/t" "$D/tile/0/000.p/$w" && tiles=$((tiles + 1))
    curl -sf -H 'Accept-Encoding: identity' "$U/tile/entries/000.p/$w" -o "$T/e" &&
        cmp -s "$T/e" "$D/tile/entries/000.p/$w" && bundles=$((bundles + 1))
done
ok $([ $tiles = 15 ]; echo $?) "tiles 0/000.p/1..15 identical ($tiles of 15)"
ok $([ $bundles = 15 ]; echo $?) "entry bundles entries/000.p/1..15 identical ($bundles of 15)"
curl -sf --compressed "$U/tile/entries/000.p/15" -o "$T/e" && cmp -s "$T/e" "$D/tile/entries/000.p/15"
ok $? "entry bundle identical when fetched with gzip"

if [ -f "$P" ]; then
    curl -sf "$U/proof/6" -o "$T/r" && cmp -s "$T/r" "$P"; ok $? "/log/proof/6 equals tessera-index6-size15.tlog-proof"
    curl -sf "$U/proof/6?size=15" -o "$T/r2" && cmp -s "$T/r2" "$P"; ok $? "/log/proof/6?size=15 too"
else
    ok 0 "# SKIP no receipt file"
fi
curl -sf "$U/proof/3?size=7" -o "$T/r3" && printf four >"$T/four" &&
    "$B" verify --vkey "$vkey" --entry "$T/four" "$T/r3" >/dev/null 2>&1
ok $? "a receipt against the earlier checkpoint of size 7 verifies with belfry verify"
curl -sf "$U/consistency?from=7&to=15" -o "$T/c"; ok $? "/log/consistency?from=7&to=15 answers"
J=${BELFRY_SHARED:-../shared/data}/tlog/tessera15-all-proofs.json
python3 - "$J" "$T/c" <<'EOF2'
import json, sys
want = [c["proof"] for c in json.load(open(sys.argv[1]))["consistency"] if c["size1"] == 7 and c["size2"] == 15][0]
got = open(sys.argv[2]).read().split("\n")
sys.exit(0 if got == want + [""] else 1)
EOF2
ok $? "the consistency proof 7 -> 15 is the reference one, one base64 hash per line"

h=$(curl -s -D - -o /dev/null "$U/checkpoint" | tr -d '\r')
echo "$h" | grep -qi '^content-type: text/plain; charset=utf-8'; ok $? "checkpoint is text/plain; charset=utf-8"
echo "$h" | grep -qi '^cache-control: public, max-age=[1-9]$'; ok $? "checkpoint is cacheable for seconds only"
h=$(curl -s -D - -o /dev/null "$U/tile/0/000.p/15" | tr -d '\r')
echo "$h" | grep -qi '^content-type: application/octet-stream'; ok $? "tiles are application/octet-stream"
echo "$h" | grep -qi '^cache-control:.*immutable'; ok $? "tiles are immutable"

code() { curl -s -o /dev/null -w '%{http_code}' "$U/$1"; }
bad=0
for p in tile/0/0 tile/0/00 tile/0/0000 tile/0/x000/000 tile/0/001/ tile/0/000.p/0 tile/0/000.p/256 \
         tile/0/000.p/07 tile/0/000.p/ tile/64/000 tile/-1/000 tile/entries/000.p tile/entries/x001 \
         tile/data/000 tile/8/0/000 'tile/0/000%00' tile/0/000.p/1/2; do
    c=$(code "$p"); [ "$c" = 400 ] || { echo "# $p gave $c"; bad=$((bad + 1)); }
done
ok $bad "17 malformed tile paths are 400"
[ "$(code tile/0/000.p/16)" = 404 ] && [ "$(code tile/0/000)" = 404 ] && [ "$(code tile/1/000.p/1)" = 404 ] &&
    [ "$(code tile/entries/001.p/1)" = 404 ]
ok $? "tiles beyond the checkpoint are 404"
[ "$(code proof/15)" = 404 ] && [ "$(code proof/06)" = 400 ] && [ "$(code 'proof/3?size=99')" = 404 ] &&
    [ "$(code 'consistency?from=0&to=3')" = 400 ] && [ "$(code 'consistency?from=3&to=99')" = 404 ] &&
    [ "$(code 'consistency?from=x&to=3')" = 400 ]
ok $? "bad proof and consistency requests are 400/404"
curl -s "$U/tile/0/000.p/256" | grep -q '"error"'; ok $? "errors use the JSON error format"

head -c 65536 /dev/zero | tr '\0' a >"$T/big"; echo >>"$T/big"
out=$( (echo sixteen; cat "$T/big"; echo; echo seventeen) | "$B" log append --data "$T/d" 2>"$T/append.err"); rc=$?
[ $rc = 1 ] && grep -q "line 2: entry longer than 65535 bytes" "$T/append.err" && grep -q "line 3: empty entry" "$T/append.err"
ok $? "an entry over 65 535 bytes and an empty line are rejected with their line numbers"
[ "$out" = "$(printf '15\n16')" ]; ok $? "the good lines around them are still appended (15, 16)"

stop_serve; rc=$?
ok $rc "belfry serve stops cleanly on SIGTERM"
[ ! -e "$T/d/admin.sock" ]; ok $? "the admin socket is removed on shutdown"
"$B" check --data "$T/d" >"$T/check.out" 2>&1; ok $? "belfry check passes: $(tail -1 "$T/check.out")"
done_testing
