#!/usr/bin/env bash
# proc_concurrency.sh - many officers at once: 12 procedures created in
# parallel by two buyers get distinct, gap-free ocids per buyer; 10
# clarifications posted in parallel to one procedure are all applied, one
# release each, in a consistent order (seq = releases in the log for that
# ocid); two racing awards on one procedure: exactly one wins, the other
# is refused by the state machine. The log and the workflow agree.
. "$(dirname "$0")/lib.sh"
q() { sqlite3 "$T/d/belfry.db" "$1"; }

"$B" init --data "$T/d" --origin belfry.test/conc >/dev/null 2>&1; ok $? "init"
A=$("$B" token create --data "$T/d" --role officer --buyer BE-MOD 2>/dev/null)
N=$("$B" token create --data "$T/d" --role officer --buyer BE-NAVY 2>/dev/null)
start_serve "$T/d" "$T/out" "$T/err" --write-rate 0
post() { curl -s -o "$4" -w '%{http_code}\n' -H "Authorization: Bearer $1" -H 'Content-Type: application/json' --data-binary "$3" "$U$2"; }
CREATE='{"title":"Parallel","procedure":"restricted","mainProcurementCategory":"goods","estimatedValue":{"amount":5000000,"currency":"EUR"},"capabilityArea":"land","date":"2025-01-06"}'

pids=()
for i in $(seq 6); do
    post "$A" /api/v1/procedures "$CREATE" "$T/a$i" >"$T/sa$i" & pids+=($!)
    post "$N" /api/v1/procedures "$CREATE" "$T/n$i" >"$T/sn$i" & pids+=($!)
done
wait "${pids[@]}"
[ "$(cat "$T"/sa* "$T"/sn* | sort | uniq -c | awk '{print $1" "$2}')" = "12 201" ]; ok $? "12 parallel creates: all 201"
[ "$(cat "$T"/a? | jq -r .ocid | sort | tr '\n' ' ')" = "$(for i in $(seq 6); do printf 'ocds-belfry-BE-MOD-%06d ' "$i"; done)" ]
ok $? "buyer BE-MOD got ocids 000001..000006, no gap, no duplicate"
[ "$(cat "$T"/n? | jq -r .ocid | sort -u | wc -l)" = 6 ]; ok $? "buyer BE-NAVY got 6 distinct ocids"

O=ocds-belfry-BE-MOD-000001
[ "$(post "$A" /api/v1/procedures/$O/tender '{"date":"2025-02-03","requestsDeadline":"2025-03-12"}' "$T/t")" = 201 ]
ok $? "notice published"
pids=()
for i in $(seq 10); do
    post "$A" /api/v1/procedures/$O/clarifications "{\"date\":\"2025-02-1$((i % 10))\",\"question\":\"q$i\",\"answer\":\"a$i\"}" "$T/c$i" >"$T/sc$i" & pids+=($!)
done
wait "${pids[@]}"
ok200=$(cat "$T"/sc* | grep -c 201); refused=$(cat "$T"/sc* | grep -c 409)
[ $((ok200 + refused)) = 10 ] && [ "$ok200" -ge 1 ]
ok $? "10 parallel clarifications: $ok200 applied, $refused refused by chronology (dated before an applied one)"
seq_now=$(curl -s -H "Authorization: Bearer $A" "$U/api/v1/procedures/$O" | jq -r .releases)
[ "$seq_now" = "$(q "select count(*) from ocds_release where ocid = '$O'")" ] && [ "$seq_now" = $((2 + ok200)) ]
ok $? "procedure and log agree: $seq_now releases"
[ "$(curl -s -H "Authorization: Bearer $A" "$U/api/v1/procedures/$O" | jq -r '.releases')" = \
  "$(curl -s "$U/api/v1/records/$O" | jq -r '.releases|length')" ]; ok $? "the public record lists the same releases"

# two racing awards
O2=ocds-belfry-BE-MOD-000002
for s in 'tender|{"date":"2025-02-03","requestsDeadline":"2025-03-12"}' \
    'invitation|{"date":"2025-03-13","tenderDeadline":"2025-04-22","candidates":[{"id":"A","name":"A"},{"id":"B","name":"B"},{"id":"C","name":"C"}]}' \
    'bids|{"date":"2025-04-23","bids":[{"id":"B1","tenderer":{"id":"A","name":"A"},"value":{"amount":1,"currency":"EUR"},"date":"2025-04-20"},{"id":"B2","tenderer":{"id":"B","name":"B"},"value":{"amount":2,"currency":"EUR"},"date":"2025-04-21"}]}'; do
    post "$A" "/api/v1/procedures/$O2/${s%%|*}" "${s#*|}" /dev/null >/dev/null
done
post "$A" /api/v1/procedures/$O2/award '{"date":"2025-05-02","bidId":"B1"}' "$T/w1" >"$T/sw1" & p1=$!
post "$A" /api/v1/procedures/$O2/award '{"date":"2025-05-02","bidId":"B2"}' "$T/w2" >"$T/sw2" & p2=$!
wait $p1 $p2
[ "$(cat "$T/sw1" "$T/sw2" | sort | tr '\n' ' ')" = "201 409 " ]; ok $? "two racing awards: one 201, one 409 ($(cat "$T/sw1" "$T/sw2" | tr '\n' ' '))"
[ "$(q "select count(*) from ocds_release where ocid = '$O2' and tags like '%award%'")" = 1 ]; ok $? "one award release in the log"
stop_serve
"$B" check --data "$T/d" >/dev/null 2>&1; ok $? "belfry check passes"
server_clean "$T/err"; ok $? "server ran clean"
done_testing
