#!/usr/bin/env bash
# monitor_fork.sh - `belfry monitor` against live Belfry logs over HTTP.
# A good log passes, then passes incrementally (only the new entries are
# fetched) and unchanged. Logs made with the same key and origin but
# other entries (forks) must be caught: rewritten entries in the first
# bundle, a fork that differs only in entry 0 (caught by the root
# recomputed from the saved right edge), a fork at the same size, and a
# rollback; each exits 1 with a clear message, writes the two conflicting
# checkpoints as evidence and leaves the saved state untouched, so the
# genuine log still passes afterwards.
. "$(dirname "$0")/lib.sh"
wait_size() { # port size
    local i
    for i in $(seq 1 300); do
        [ "$(curl -sf "http://127.0.0.1:$1/log/checkpoint" | sed -n 2p)" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
serve() { # name -> port in $SPORT
    start_bg "$T/$1.out" "$T/$1.serve.err" "$B" serve --data "$T/$1" --listen 127.0.0.1:0
    SPORT=$BPORT
    [ -n "$SPORT" ] || bail "serve $1"
}
entries() { seq "$1" "$2" | awk '{printf "procurement record %d\n", $1}'; }
mon() { "$B" monitor --vkey "$LOGKEY" --state "$T/state.json" "$@" 2>"$T/mon.stderr"; }

"$B" init --data "$T/log" --origin monitor.belfry.test/log >/dev/null 2>"$T/init.err" || bail "init"
LOGKEY=$("$B" log key --data "$T/log")
serve log
PORT=$SPORT
entries 0 4 | "$B" log append --data "$T/log" >/dev/null 2>"$T/append.err"
wait_size "$PORT" 5 || bail "log did not reach size 5"

out=$(mon "http://127.0.0.1:$PORT/log"); ok $? "first run on a good log passes"
echo "$out" | grep -q "tree size 5 verified from scratch"; ok $? "it says it verified size 5 from scratch"
[ -f "$T/state.json" ]; ok $? "the state file is written"

entries 5 304 | "$B" log append --data "$T/log" >/dev/null 2>>"$T/append.err"
wait_size "$PORT" 305 || bail "log did not reach size 305"
out=$(mon "http://127.0.0.1:$PORT/log"); ok $? "second run after 300 appends passes"
echo "$out" | grep -q "grew from 5 to 305" && echo "$out" | grep -q "checked     300 new entries, 2 entry bundles"
ok $? "incremental: only the 300 new entries and their 2 bundles were fetched"
out=$(mon "http://127.0.0.1:$PORT/log"); ok $? "third run, no change, passes"
echo "$out" | grep -q "unchanged at tree size 305"; ok $? "it says unchanged"
cp "$T/state.json" "$T/state.good"

fork() { # name, entries on stdin (not a pipeline: SPORT must reach the caller)
    "$B" init --data "$T/$1" --key-file "$T/log/log/key" >/dev/null 2>"$T/$1.err" || bail "init $1"
    "$B" log append --data "$T/$1" >/dev/null 2>>"$T/$1.err" || bail "append $1"
    serve "$1"
}
expect_fail() { # name, url, pattern
    local out rc
    rm -f "$T/state.json.evidence"
    out=$(mon "$2"); rc=$?
    if [ $rc = 1 ] && grep -q "$3" "$T/mon.stderr" && cmp -s "$T/state.json" "$T/state.good"; then
        ok 0 "$1: exit 1, \"$(grep -o "$3[^:]*" "$T/mon.stderr" | head -1)\", state unchanged"
    else
        ok 1 "$1 (rc=$rc: $(cat "$T/mon.stderr"))"
    fi
}

{ entries 0 299; printf 'forged record %d\n' 300 301 302 303 304 305 306; } >"$T/A"
fork forkA <"$T/A"
expect_fail "a fork that rewrote entries 300.. and grew" "http://127.0.0.1:$SPORT/log" "REWRITTEN HISTORY"
grep -q "^# checkpoint verified earlier" "$T/state.json.evidence" 2>/dev/null || [ ! -f "$T/state.json.evidence" ]
ok $? "evidence, when written, starts with the earlier checkpoint"

{ printf 'forged record 0\n'; entries 1 599; } >"$T/B"
fork forkB <"$T/B"
expect_fail "a fork that differs only in entry 0, grown to 600" "http://127.0.0.1:$SPORT/log" "REWRITTEN HISTORY: hash 0 of tile 1/0"
[ -f "$T/state.json.evidence" ] && [ "$(grep -c '^— monitor.belfry.test/log ' "$T/state.json.evidence")" = 2 ]
ok $? "the two conflicting signed checkpoints are written as evidence"

{ entries 0 303; printf 'forged record 304\n'; } >"$T/C"
fork forkC <"$T/C"
expect_fail "a fork at the same size 305" "http://127.0.0.1:$SPORT/log" "FORK: the log signed two different roots for tree size 305"

entries 0 99 >"$T/D"
fork forkD <"$T/D"
expect_fail "a rollback to size 100" "http://127.0.0.1:$SPORT/log" "ROLLBACK"

"$B" init --data "$T/imp" --origin monitor.belfry.test/log >/dev/null 2>"$T/imp.err"
entries 0 400 | "$B" log append --data "$T/imp" >/dev/null 2>>"$T/imp.err"
serve imp
expect_fail "an impostor log with the same origin and another key" "http://127.0.0.1:$SPORT/log" "BAD SIGNATURE"

expect_fail "an unreachable log" "http://127.0.0.1:1/log" "fetching the checkpoint"

entries 305 520 | "$B" log append --data "$T/log" >/dev/null 2>>"$T/append.err"
wait_size "$PORT" 521 || bail "log did not reach size 521"
out=$(mon "http://127.0.0.1:$PORT/log"); ok $? "the genuine log still passes after all that (305 -> 521)"

"$B" init --data "$T/slow" --origin slow.belfry.test/log >/dev/null 2>"$T/slow.err"
entries 0 1100 | "$B" log append --data "$T/slow" >/dev/null 2>>"$T/slow.err"
start_bg "$T/slow.out" "$T/slow.serve.err" "$B" serve --data "$T/slow" --listen 127.0.0.1:0 --rate 4
SLOWPORT=$BPORT
out=$("$B" monitor --vkey "$("$B" log key --data "$T/slow")" --state "$T/slow.json" "http://127.0.0.1:$SLOWPORT/log" 2>&1)
[ $? = 0 ] && echo "$out" | grep -q "tree size 1101 verified"
ok $? "a log that rate-limits to 4 requests/s (HTTP 429) is still audited completely, by waiting"

echo '{"format":"belfry-monitor-state/1"}' >"$T/bad.json"
out=$("$B" monitor --vkey "$LOGKEY" --state "$T/bad.json" "http://127.0.0.1:$PORT/log" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "state file"; ok $? "a corrupt state file is refused, not overwritten"
OTHER=$("$B" log key --data "$T/imp")
out=$("$B" monitor --vkey "$OTHER" --state "$T/state.json" "http://127.0.0.1:$PORT/log" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "belongs to the log with key"; ok $? "a state file of another log is refused"
done_testing
