#!/usr/bin/env bash
# ledger_witness.sh - `belfry serve --witness URL --witness-vkey KEY`
# publishes checkpoints carrying the witness's cosignature/v1 line, and
# appends never wait for witnesses: with the witness down, appends are
# still acknowledged and the log-signed checkpoint is served; once the
# witness is back, cosigning resumes (with a consistency proof from the
# size it last saw). Receipts then verify with `belfry verify --witness`.
. "$(dirname "$0")/lib.sh"

LV=$("$B" init --data "$T/d" --origin belfry.test/witnessed 2>/dev/null); ok $? "init the log"
WV=$("$B" witness keygen --name witness.test/w1 --out "$T/wkey" 2>/dev/null | tail -1)
ok $([ -n "$WV" ]; echo $?) "witness key $WV"
start_bg "$T/w.out" "$T/w.out.err" "$B" witness --data "$T/wd" --key-file "$T/wkey" --log "$LV" --listen 127.0.0.1:0
WPID=$PID WPORT=$BPORT
ok $([ -n "$WPORT" ]; echo $?) "witness listening on port $WPORT"
start_serve "$T/d" "$T/s.out" "$T/s.out.err" --rate 0 --witness "http://127.0.0.1:$WPORT" --witness-vkey "$WV"
U=$U/log
ok $([ -n "$PORT" ]; echo $?) "log server listening on port $PORT"

wait_cosigned() { # size: until the served checkpoint has that size and a w1 line
    for _ in $(seq 300); do
        curl -sf "$U/checkpoint" -o "$T/cp" && [ "$(sed -n 2p "$T/cp")" = "$1" ] &&
            grep -q "^— witness.test/w1 " "$T/cp" && return 0
        sleep 0.1
    done
    return 1
}

seq 1 10 | sed 's/^/record /' | "$B" log append --data "$T/d" >/dev/null; ok $? "append 10 records"
wait_cosigned 10; ok $? "the served checkpoint of size 10 carries the witness's cosignature"
grep -c '^— ' "$T/cp" | grep -qx 2; ok $? "exactly two signature lines: the log's and the witness's"
curl -sf "$U/proof/3" -o "$T/r" && printf 'record 4' >"$T/e"
"$B" verify --vkey "$LV" --witness "$WV" --entry "$T/e" "$T/r" >"$T/v" 2>&1; ok $? "a receipt verifies with the witness required: $(head -1 "$T/v")"

stop_pid "$WPID" 2>/dev/null
start=$(date +%s%N)
seq 11 20 | sed 's/^/record /' | "$B" log append --data "$T/d" >"$T/idx"; rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
ok $([ $rc = 0 ] && [ "$(tail -1 "$T/idx")" = 19 ]; echo $?) "with the witness down appends are acknowledged (${ms} ms)"
curl -sf "$U/proof/19" -o "$T/r19" && printf 'record 20' >"$T/e20" &&
    "$B" verify --vkey "$LV" --entry "$T/e20" "$T/r19" >/dev/null 2>&1
ok $? "a receipt for the entry just acknowledged is available at once (log-signed checkpoint)"
got=
for _ in $(seq 300); do
    curl -sf "$U/checkpoint" -o "$T/cp" && [ "$(sed -n 2p "$T/cp")" = 20 ] && got=1 && break
    sleep 0.1
done
ok $([ -n "$got" ]; echo $?) "the log-signed checkpoint of size 20 is published anyway"
sz=0 back=0
for _ in $(seq 20); do
    s=$(curl -sf "$U/checkpoint" | sed -n 2p); [ "${s:-0}" -lt "$sz" ] && back=1; sz=${s:-0}; sleep 0.05
done
ok $back "the served size does not go backwards meanwhile"
sleep 1
lines=$(wc -l <"$T/s.out.err")
ok $([ "$lines" -lt 40 ]; echo $?) "a dead witness is retried with back-off, not in a loop ($lines lines on stderr)"

start_bg "$T/w2.out" "$T/w2.out.err" "$B" witness --data "$T/wd" --key-file "$T/wkey" --log "$LV" --listen "127.0.0.1:$WPORT"
WPID=$PID
seq 21 25 | sed 's/^/record /' | "$B" log append --data "$T/d" >/dev/null
wait_cosigned 25; ok $? "after the witness returns, size 25 is cosigned (consistency from 10)"
curl -sf "$U/proof/22" -o "$T/r" && printf 'record 23' >"$T/e"
"$B" verify --vkey "$LV" --witness "$WV" --entry "$T/e" "$T/r" >/dev/null 2>&1; ok $? "a new receipt verifies with the witness"
"$B" check --data "$T/d" >/dev/null 2>&1; ok $? "belfry check passes"
done_testing
