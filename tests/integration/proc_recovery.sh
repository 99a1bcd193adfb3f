#!/usr/bin/env bash
# proc_recovery.sh - the lifecycle's write-ahead: a step stores its new
# state with its release marked pending, publishes, then clears pending.
# Here the server is stopped in the state a crash between "stored" and
# "published" leaves (the row advanced, its release pending, the ledger
# one release behind); on restart the first access to the procedure
# publishes the pending release, clears it, and the workflow and the log
# agree again. A second case leaves pending a release that was already
# published (crash after publishing): it is recognised as a duplicate.
. "$(dirname "$0")/lib.sh"
start() { start_serve "$T/d" "$T/out" "$T/err" --write-rate 0; }
stop() { stop_serve; }
q() { sqlite3 "$T/d/belfry.db" "$1"; }
api() { api_status "$OFF" "$@"; }

"$B" init --data "$T/d" --origin belfry.test/recovery >/dev/null 2>&1; ok $? "init"
OFF=$("$B" token create --data "$T/d" --role officer --buyer BE-MOD 2>/dev/null)
start
s=$(api --data '{"title":"Field hospitals","procedure":"restricted","mainProcurementCategory":"goods",
 "estimatedValue":{"amount":3000000,"currency":"EUR"},"capabilityArea":"land","date":"2025-01-06"}' "$U/api/v1/procedures")
O=$(jq -r .ocid "$T/body")
s2=$(api --data '{"date":"2025-02-03","requestsDeadline":"2025-03-12"}' "$U/api/v1/procedures/$O/tender")
[ "$s" = 201 ] && [ "$s2" = 201 ]; ok $? "procedure created and its notice published ($s $s2)"
stop
[ "$(q 'select count(*) from log_entry')" = 2 ]; ok $? "2 entries in the log"

# ---- crash after storing, before publishing -------------------------------------------------------
OFFID=$(printf '%s' "$OFF" | sha256sum | cut -c1-16)
python3 - "$T/d/belfry.db" "$O" "$OFFID" <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); ocid = sys.argv[2]
body, = db.execute("select body from ocds_release where ocid = ? and rid like '%-002-tender'", (ocid,)).fetchone()
rel = json.loads(body)
rel["id"] = ocid + "-003-cancellation"
rel["date"] = "2025-02-04T00:00:00Z"
rel["tag"] = ["tenderCancellation"]
rel["tender"]["status"] = "cancelled"
rel["tender"]["statusDetails"] = "budget withdrawn"
data, = db.execute("select data from proc_procedures where ocid = ?", (ocid,)).fetchone()
st = json.loads(data)
st["seq"] = 3; st["state"] = "cancelled"
st["facts"]["lastReleaseId"] = rel["id"]; st["facts"]["lastDate"] = rel["date"]
st["doc"]["tender"]["status"] = "cancelled"
pending = {"actor": "officer:" + sys.argv[3] + "@BE-MOD", "release": rel}
db.execute("update proc_procedures set seq = 3, state = 'cancelled', data = ?, pending = ? where ocid = ?",
           (json.dumps(st), json.dumps(pending), ocid))
db.commit()
EOF
ok $? "simulated crash: row advanced to seq 3 with its release pending, ledger at 2"
start
s=$(api "$U/api/v1/procedures/$O")
[ "$s" = 200 ] && [ "$(jq -r .state "$T/body")" = cancelled ] && [ "$(jq -r .releases "$T/body")" = 3 ]
ok $? "after restart the procedure reads as cancelled, 3 releases ($s)"
[ "$(q 'select count(*) from log_entry')" = 3 ]; ok $? "the pending release was published on first access"
[ "$(q "select pending is null from proc_procedures where ocid = '$O'")" = 1 ]; ok $? "pending cleared"
s=$(curl -s -o "$T/body" -w '%{http_code}' "$U/api/v1/releases/$O/$O-003-cancellation")
[ "$s" = 200 ] && [ "$(jq -r .tender.status "$T/body")" = cancelled ]; ok $? "the release is public ($s)"
grep -q "\"actor\":\"officer:$OFFID@BE-MOD\"" <(q "select data from log_entry where idx = 2"); ok $? "its entry names the officer who decided the step"

# ---- crash after publishing, before clearing -----------------------------------------------------------
stop
q "update proc_procedures set pending = json_object('actor', 'officer:$OFFID@BE-MOD', 'release', json((select body from ocds_release where rid = '$O-003-cancellation'))) where ocid = '$O'"
start
s=$(api "$U/api/v1/procedures/$O")
[ "$s" = 200 ] && [ "$(q 'select count(*) from log_entry')" = 3 ] && [ "$(q "select pending is null from proc_procedures where ocid = '$O'")" = 1 ]
ok $? "an already-published pending release is recognised as a duplicate and cleared ($s)"
s=$(api --data '{"date":"2025-02-05","rationale":"again"}' "$U/api/v1/procedures/$O/cancellation")
[ "$s" = 409 ] && [ "$(jq -r .error.rule "$T/body")" = lifecycle/step-not-allowed-in-state ]; ok $? "and the state machine carries on from there ($s)"
stop
"$B" check --data "$T/d" >/dev/null 2>&1; ok $? "belfry check passes"
server_clean "$T/err"; ok $? "server ran clean under ASan/UBSan"
done_testing
