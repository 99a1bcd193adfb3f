#!/usr/bin/env bash
# witness_roundtrip.sh - a Belfry log served with a Belfry witness: the
# served checkpoint carries a cosignature that `belfry verify` checks with
# the witness key; then the witness is fed, over HTTP, a rollback, a stale
# old size, a same-size fork, a grown fork with the fork's own valid
# proof, a bad proof, a bad signature, an unknown origin and garbage: each
# gets its status from the spec and the witness's stored checkpoint stays
# byte-identical. Cosignatures are kept by the log: receipts at an older
# ?size=N carry them, and a restarted server serves them at once. The witness keeps its state across a restart; its key
# is created 0600, never overwritten, and refused when world-readable.
. "$(dirname "$0")/lib.sh"
served_size() { curl -sf "http://127.0.0.1:$1/log/checkpoint" | sed -n 2p; }
wait_cosigned() { # port size
    local i cp
    for i in $(seq 1 300); do
        cp=$(curl -sf "http://127.0.0.1:$1/log/checkpoint")
        [ "$(echo "$cp" | sed -n 2p)" = "$2" ] && echo "$cp" | grep -q "^— witness.it.test " && return 0
        sleep 0.1
    done
    return 1
}
post() { # body-file -> "status content-type" and body in $T/resp
    curl -s -o "$T/resp" -w '%{http_code} %{content_type}' -X POST --data-binary @"$1" "http://127.0.0.1:$WPORT/add-checkpoint"
}
start_witness() {
    start_bg "$T/wit.out" "$T/wit.err" "$B" witness --data "$T/wit" --key-file "$T/wkey" --log "$LOGKEY" --listen "127.0.0.1:${1:-0}"
    WPID=$PID WPORT=$BPORT
}

"$B" init --data "$T/log" --origin it.belfry.test/log >/dev/null 2>"$T/init.err" || bail "belfry init"
LOGKEY=$("$B" log key --data "$T/log")
WKEY=$("$B" witness keygen --name witness.it.test --out "$T/wkey" 2>"$T/keygen.err")
ok $? "witness keygen prints a verifier key"
echo "$WKEY" | grep -Eq '^witness\.it\.test\+[0-9a-f]{8}\+B'; ok $? "it is a cosignature/v1 (type 0x04) vkey: $WKEY"
[ "$(stat -c %a "$T/wkey")" = 600 ]; ok $? "the private key file is mode 0600"
cp "$T/wkey" "$T/wkey.orig"
"$B" witness keygen --name other --out "$T/wkey" >/dev/null 2>&1; rc=$?
[ $rc != 0 ] && cmp -s "$T/wkey" "$T/wkey.orig"; ok $? "keygen refuses to overwrite an existing key"

start_witness
[ -n "$WPORT" ] || bail "witness did not start"
start_serve "$T/log" "$T/serve.out" "$T/serve.err" --witness "http://127.0.0.1:$WPORT" --witness-vkey "$WKEY"
[ -n "$PORT" ] || bail "belfry serve did not start"

printf 'record a\nrecord b\nrecord c\n' | "$B" log append --data "$T/log" >/dev/null 2>"$T/append.err" || bail "append"
wait_cosigned "$PORT" 3; ok $? "the served checkpoint of size 3 carries the witness cosignature"
"$B" log checkpoint --data "$T/log" --size 3 >"$T/cp3" 2>"$T/cp.err" || curl -sf "http://127.0.0.1:$PORT/log/checkpoint" >"$T/cp3"
printf 'record d\nrecord e\nrecord f\nrecord g\nrecord h\n' | "$B" log append --data "$T/log" >/dev/null 2>>"$T/append.err"
wait_cosigned "$PORT" 8; ok $? "after growing to 8 (consistency proof 3 -> 8) the witness cosigned again"
"$B" log checkpoint --data "$T/log" --size 8 >"$T/cp8" 2>"$T/cp.err" || bail "log checkpoint --size 8"

curl -sf "http://127.0.0.1:$PORT/log/proof/5" >"$T/receipt" || bail "receipt"
printf 'record f' >"$T/entry5"
out=$("$B" verify --vkey "$LOGKEY" --witness "$WKEY" --entry "$T/entry5" "$T/receipt" 2>&1)
ok $? "belfry verify accepts the receipt with the witness key required"
echo "$out" | grep -q "witness.it.test+[0-9a-f]*: cosigned at UNIX time"; ok $? "and reports the verified cosignature"

# cosignatures are kept: a receipt against an older size carries that
# size's cosignature, and a restarted server serves them at once
curl -sf "http://127.0.0.1:$PORT/log/proof/1?size=3" >"$T/receipt3" || bail "receipt at size 3"
printf 'record b' >"$T/entry1"
out=$("$B" verify --vkey "$LOGKEY" --witness "$WKEY" --entry "$T/entry1" "$T/receipt3" 2>&1)
ok $? "a receipt at ?size=3 carries the witness's cosignature of size 3 ($(echo "$out" | tail -1))"
stop_serve >/dev/null
start_serve "$T/log" "$T/serve.out" "$T/serve.err"
[ -n "$PORT" ] || bail "belfry serve did not restart"
curl -sf "http://127.0.0.1:$PORT/log/checkpoint" >"$T/cp-restart"
[ "$(sed -n 2p "$T/cp-restart")" = 8 ] && grep -q "^— witness.it.test " "$T/cp-restart"
ok $? "restarted without witnesses, the server still serves size 8 with its cosignature"
stop_serve >/dev/null
start_serve "$T/log" "$T/serve.out" "$T/serve.err" --witness "http://127.0.0.1:$WPORT" --witness-vkey "$WKEY"
[ -n "$PORT" ] || bail "belfry serve did not restart with its witness"
out=$("$B" monitor --vkey "$LOGKEY" --witness "$WKEY" --min-witnesses 1 --state "$T/mon.json" "http://127.0.0.1:$PORT/log" 2>&1)
[ $? = 0 ] && echo "$out" | grep -q "witnesses   1 of 1 cosigned"; ok $? "belfry monitor requiring the witness's cosignature passes"
OTHERW=$("$B" witness keygen --name witness.other.test --out "$T/wkey2" 2>/dev/null)
out=$("$B" monitor --vkey "$LOGKEY" --witness "$OTHERW" --min-witnesses 1 --state "$T/mon2.json" "http://127.0.0.1:$PORT/log" 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "TOO FEW COSIGNATURES"; ok $? "requiring a witness that did not cosign fails: TOO FEW COSIGNATURES"

OH=$(printf %s "it.belfry.test/log" | sha256sum | cut -d' ' -f1)
curl -sf "http://127.0.0.1:$WPORT/$OH/checkpoint" >"$T/w0"
[ "$(sed -n 2p "$T/w0")" = 8 ] && grep -q "^— witness.it.test " "$T/w0"; ok $? "GET /<sha256(origin)>/checkpoint: the cosigned size 8"
unchanged() { curl -sf "http://127.0.0.1:$WPORT/$OH/checkpoint" | cmp -s - "$T/w0"; }

{ printf 'old 8\n\n'; cat "$T/cp3"; } >"$T/b1"
r=$(post "$T/b1"); [ "${r%% *}" = 400 ] && unchanged; ok $? "rollback (old 8, checkpoint of size 3): 400, nothing stored ($r)"
{ printf 'old 3\n\n'; cat "$T/cp3"; } >"$T/b2"
r=$(post "$T/b2"); [ "$r" = "409 text/x.tlog.size" ] && [ "$(cat "$T/resp")" = 8 ] && unchanged
ok $? "stale old size 3: 409 text/x.tlog.size \"8\", nothing stored ($r)"

# a fork: same key and origin, other entries
"$B" init --data "$T/fork" --key-file "$T/log/log/key" >/dev/null 2>"$T/fork.err" || bail "fork init"
printf 'forged %s\n' 1 2 3 4 5 6 7 8 | "$B" log append --data "$T/fork" >/dev/null 2>>"$T/fork.err"
"$B" log checkpoint --data "$T/fork" >"$T/f8" 2>>"$T/fork.err"
{ printf 'old 8\n\n'; cat "$T/f8"; } >"$T/b3"
r=$(post "$T/b3"); [ "${r%% *}" = 409 ] && unchanged; ok $? "fork at the same size 8: 409, nothing stored ($r)"
printf 'forged %s\n' 9 10 | "$B" log append --data "$T/fork" >/dev/null 2>>"$T/fork.err"
start_bg "$T/fserve.out" "$T/fserve.err" "$B" serve --data "$T/fork" --listen 127.0.0.1:0
FPORT=$BPORT
{ echo "old 8"; curl -sf "http://127.0.0.1:$FPORT/log/consistency?from=8&to=10"; echo; curl -sf "http://127.0.0.1:$FPORT/log/checkpoint"; } >"$T/b4"
r=$(post "$T/b4"); [ "${r%% *}" = 422 ] && unchanged; ok $? "fork grown to 10 with the fork's own valid proof: 422, nothing stored ($r)"
{ echo "old 8"; echo "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; echo; curl -sf "http://127.0.0.1:$FPORT/log/checkpoint"; } >"$T/b5"
r=$(post "$T/b5"); [ "${r%% *}" = 422 ] && unchanged; ok $? "a bad proof: 422, nothing stored ($r)"

sed '$s/\(.\)\(.\{8\}\)$/X\2/' "$T/cp8" >"$T/cp8bad"
cmp -s "$T/cp8" "$T/cp8bad"; [ $? = 1 ] || bail "could not corrupt the signature"
{ printf 'old 8\n\n'; cat "$T/cp8bad"; } >"$T/b6"
r=$(post "$T/b6"); [ "${r%% *}" = 403 ] && unchanged; ok $? "a corrupted log signature: 403, nothing stored ($r)"

"$B" init --data "$T/other" --origin other.belfry.test/log >/dev/null 2>"$T/other.err"
{ printf 'old 0\n\n'; "$B" log checkpoint --data "$T/other"; } >"$T/b7"
r=$(post "$T/b7"); [ "${r%% *}" = 404 ] && unchanged; ok $? "an unknown origin: 404 ($r)"
printf 'hello\n' >"$T/b8"
r=$(post "$T/b8"); [ "${r%% *}" = 400 ] && unchanged; ok $? "garbage: 400 ($r)"
head -c 70000 /dev/zero >"$T/b9"
r=$(post "$T/b9"); [ "${r%% *}" = 413 ] && unchanged; ok $? "a body over 64 KiB: 413 ($r)"

# split views: other witnesses of the same log that were shown other histories
extra_witness() { # name -> vkey in $XKEY, port in $XPORT
    XKEY=$("$B" witness keygen --name "$1" --out "$T/$1.key" 2>/dev/null)
    start_bg "$T/$1.out" "$T/$1.err" "$B" witness --data "$T/$1.data" --key-file "$T/$1.key" --log "$LOGKEY" --listen 127.0.0.1:0
    XPORT=$BPORT
}
postx() { curl -s -o "$T/resp" -w '%{http_code}' -X POST --data-binary @"$2" "http://127.0.0.1:$1/add-checkpoint"; }
extra_witness witness2.it.test; W2KEY=$XKEY; W2PORT=$XPORT
{ printf 'old 0\n\n'; cat "$T/cp3"; } >"$T/c1"
[ "$(postx "$W2PORT" "$T/c1")" = 200 ] || bail "witness2 did not cosign size 3"
out=$("$B" monitor --vkey "$LOGKEY" --state "$T/mon4.json" --witness "$WKEY" --witness-url "http://127.0.0.1:$WPORT" \
    --witness "$W2KEY" --witness-url "http://127.0.0.1:$W2PORT" "http://127.0.0.1:$PORT/log" 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "witness.it.test has seen size 8: consistent" &&
    echo "$out" | grep -q "witness2.it.test has seen size 3: consistent"
ok $? "monitor cross-checks two witnesses' views (sizes 8 and 3) against the log: consistent"
extra_witness witness3.it.test; W3KEY=$XKEY; W3PORT=$XPORT
{ printf 'old 0\n\n'; cat "$T/f8"; } >"$T/c2"
[ "$(postx "$W3PORT" "$T/c2")" = 200 ] || bail "witness3 did not cosign the fork"
mon3() { "$B" monitor --vkey "$LOGKEY" --state "$T/mon5.json" --witness "$W3KEY" --witness-url "http://127.0.0.1:$W3PORT" \
    "http://127.0.0.1:$PORT/log" 2>&1; }
out=$(mon3); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "SPLIT VIEW: witness witness3.it.test cosigned another root for tree size 8" &&
    [ "$(grep -c '^— it.belfry.test/log ' "$T/mon5.json.evidence")" = 2 ]
ok $? "a witness shown a same-size fork: SPLIT VIEW, exit 1, both checkpoints kept as evidence"
[ "$(postx "$W3PORT" "$T/b4")" = 200 ] || bail "witness3 did not cosign the grown fork"
out=$(mon3); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "SPLIT VIEW: witness witness3.it.test cosigned tree size 10"
ok $? "a witness shown a bigger fork (size 10): SPLIT VIEW, exit 1 ($(echo "$out" | grep -o 'SPLIT VIEW[^:]*' | head -1))"

stop_pid "$WPID" 2>/dev/null
start_witness "$WPORT"
{ printf 'old 0\n\n'; cat "$T/cp8"; } >"$T/b10"
r=$(post "$T/b10"); [ "$r" = "409 text/x.tlog.size" ] && [ "$(cat "$T/resp")" = 8 ]
ok $? "after a restart the witness still holds size 8 ($r)"
{ printf 'old 8\n\n'; cat "$T/cp8"; } >"$T/b11"
r=$(post "$T/b11"); [ "${r%% *}" = 200 ] && grep -q "^— witness.it.test " "$T/resp"; ok $? "resubmitting checkpoint 8 with old 8: 200 with a cosignature line"

stop_pid "$WPID" 2>/dev/null
chmod 644 "$T/wkey"
out=$("$B" witness --data "$T/wit" --key-file "$T/wkey" --log "$LOGKEY" --listen 127.0.0.1:0 2>&1)
[ $? != 0 ] && echo "$out" | grep -q "readable by others"; ok $? "a world-readable witness key is refused"
done_testing
