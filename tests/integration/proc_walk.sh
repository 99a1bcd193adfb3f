#!/usr/bin/env bash
# proc_walk.sh - a restricted procedure from plan to final payment through
# the HTTP API of the real binary, trying on the way every illegal step and
# every deadline violation (each 409 naming its rule, nothing published),
# the dry-run validation the forms use, the officer's list with what is due
# next, the actor recorded in each ledger entry, the withheld award value
# (hidden from the public, seen by the auditor, then disclosed with a salt
# that opens the earlier commitment, checked here independently in Python).
. "$(dirname "$0")/lib.sh"

"$B" init --data "$T/d" --origin belfry.test/proc >/dev/null 2>&1; ok $? "init"
OFF=$("$B" token create --data "$T/d" --role officer --buyer BE-MOD --label "walk officer" 2>/dev/null)
AUD=$("$B" token create --data "$T/d" --role auditor 2>/dev/null)
OFFID=$(printf '%s' "$OFF" | sha256sum | cut -c1-16)
[ ${#OFF} = 47 ] && [ ${#AUD} = 47 ]; ok $? "officer and auditor tokens issued"

start_serve "$T/d" "$T/out" "$T/err" --write-rate 0
[ -n "$PORT" ]; ok $? "server listening on port ${PORT:-?}"

# req METHOD PATH TOKEN [BODY] -> $CODE, body in $T/body
req() { CODE=$(http_req "$@"); }
logsize() { sqlite3 "$T/d/belfry.db" "select count(*) from log_entry"; }
jqb() { jq -r "$1" "$T/body" 2>/dev/null; }

O=ocds-belfry-BE-MOD-000001
P=/api/v1/procedures/$O
# refuse STEP BODY RULE WHAT: 409 naming RULE, log unchanged
refuse() {
    local before after rule
    before=$(logsize)
    req POST "$P/$1" "$OFF" "$2"
    after=$(logsize)
    rule=$(jqb .error.rule)
    [ "$CODE" = 409 ] && [ "$rule" = "$3" ] && [ "$before" = "$after" ]
    ok $? "$4: 409 $3 (got $CODE $rule), nothing published"
}
# accept STEP BODY TAG STATE WHAT
accept() {
    local id
    req POST "$P/$1" "$OFF" "$2"
    id=$(jqb .releaseId)
    [ "$CODE" = 201 ] && [ "${id##*-}" = "$3" ] && [ "$(jqb .procedure.state)" = "$4" ]
    ok $? "$5: 201, release $id, state $(jqb .procedure.state)"
}

# ---- planning ----------------------------------------------------------------
CREATE='{"title":"Tactical mini-UAV systems","description":"Mini-UAV for land forces","procedure":"restricted",
 "mainProcurementCategory":"goods","estimatedValue":{"amount":12000000,"currency":"EUR"},"capabilityArea":"dronesUav",
 "securityClassification":"restricted","cpv":"35613000","buyerName":"Defence - DG Material Resources",
 "date":"2025-01-06","plannedNoticeDate":"2025-02-03",
 "withheld":[{"path":"/awards/0/value","reason":"defenceSecurity","disclosureDate":"2027-01-01"}]}'
req POST /api/v1/procedures "$OFF" '{"title":"x","procedure":"open","mainProcurementCategory":"goods",
 "estimatedValue":{"amount":1000000,"currency":"EUR"},"capabilityArea":"land","date":"2025-01-06"}'
[ "$CODE" = 409 ] && [ "$(jqb .error.rule)" = dir2009-81/art25-procedures ]; ok $? "open procedure: 409 art25-procedures"
req POST /api/v1/procedures "$OFF" '{"title":"x","procedure":"negotiatedWithoutPublication","mainProcurementCategory":"goods",
 "estimatedValue":{"amount":1000000,"currency":"EUR"},"capabilityArea":"land","date":"2025-01-06"}'
[ "$CODE" = 409 ] && [ "$(jqb .error.rule)" = dir2009-81/art28-ground ]; ok $? "no Art. 28 ground: 409 art28-ground"
req POST /api/v1/procedures/validate "$OFF" "$CREATE"
[ "$CODE" = 200 ] && [ "$(jqb .valid)" = true ] && [ "$(logsize)" = 0 ]; ok $? "create dry run: valid, nothing logged"
req POST /api/v1/procedures "$OFF" "$CREATE"
[ "$CODE" = 201 ] && [ "$(jqb .ocid)" = $O ] && [ "$(jqb .procedure.thresholdEur)" = 443000 ]
ok $? "restricted procedure created: $(jqb .ocid), threshold EUR $(jqb .procedure.thresholdEur)"
refuse award '{"bidId":"B1"}' lifecycle/step-not-allowed-in-state "award in planning"
refuse invitation '{"tenderDeadline":"2025-03-01","candidates":[{"id":"a","name":"A"}]}' \
    lifecycle/step-not-allowed-in-state "invitation before the contract notice"

# ---- contract notice ------------------------------------------------------------
refuse tender '{"date":"2025-02-03","requestsDeadline":"2025-03-05"}' dir2009-81/art33-min-time-requests \
    "30 days for requests on a paper notice"
refuse tender '{"date":"2025-02-03","requestsDeadline":"2025-03-04","electronicNotice":true}' \
    dir2009-81/art33-min-time-requests "29 days on an electronic notice"
refuse tender '{"date":"2025-02-03","requestsDeadline":"2025-02-20","accelerated":true}' dir2009-81/art33-urgency \
    "accelerated without a reason"
refuse tender '{"date":"2025-02-03","requestsDeadline":"2025-02-17","accelerated":true,"urgencyJustification":"crisis"}' \
    dir2009-81/art33-min-time-requests "14 days accelerated on paper"
refuse tender '{"date":"2025-01-05","requestsDeadline":"2025-03-05","electronicNotice":true}' lifecycle/chronology \
    "notice dated before the plan"
req POST "$P/validate?step=tender" "$OFF" '{"date":"2025-02-03","requestsDeadline":"2025-03-01","electronicNotice":true}'
[ "$CODE" = 200 ] && [ "$(jqb .valid)" = false ] && [ "$(jqb .issues[0].rule)" = dir2009-81/art33-min-time-requests ] &&
    [ "$(jqb .deadlines.requestsDeadlineEarliest)" = 2025-03-05 ]
ok $? "dry run shows the violation and the earliest deadline $(jqb .deadlines.requestsDeadlineEarliest)"
accept tender '{"date":"2025-02-03","requestsDeadline":"2025-03-05","electronicNotice":true,"electronicDocuments":true}' \
    tender requests "contract notice, 30 days, electronic"

# ---- invitation -------------------------------------------------------------------
C3='[{"id":"BE-0400378485","name":"FN Herstal"},{"id":"FR-552100554","name":"Thales"},{"id":"NL-27376655","name":"Damen"}]'
refuse bids '{"bids":[{"id":"B1","tenderer":{"id":"a","name":"A"},"value":{"amount":1,"currency":"EUR"},"date":"2025-03-01"}]}' \
    lifecycle/step-not-allowed-in-state "bids before invitations"
refuse invitation "{\"date\":\"2025-03-01\",\"tenderDeadline\":\"2025-05-01\",\"candidates\":$C3}" \
    lifecycle/invitation-before-requests-deadline "invitation while requests are open"
refuse invitation '{"date":"2025-03-10","tenderDeadline":"2025-05-01","candidates":[{"id":"BE-1","name":"A"},{"id":"FR-2","name":"B"}]}' \
    dir2009-81/art38-min-candidates "two candidates"
refuse invitation "{\"date\":\"2025-03-10\",\"tenderDeadline\":\"2025-04-13\",\"candidates\":$C3}" \
    dir2009-81/art33-min-time-tenders "34 days for tenders"
accept invitation "{\"date\":\"2025-03-10\",\"tenderDeadline\":\"2025-04-14\",\"candidates\":$C3}" \
    tenderUpdate tendering "three candidates invited, 35 days (electronic documents)"

# ---- clarifications and amendments -------------------------------------------------------
refuse clarifications '{"date":"2025-04-10","question":"q","answer":"a"}' dir2009-81/art33-additional-information \
    "answer 4 days before the deadline"
accept clarifications '{"date":"2025-04-01","question":"Required range?","answer":"30 km"}' tenderUpdate tendering \
    "clarification 13 days before"
refuse amendments '{"date":"2025-04-02","rationale":"r","tenderDeadline":"2025-04-13"}' dir2009-81/art33-min-time-tenders \
    "amendment shortening the deadline"
accept amendments '{"date":"2025-04-02","rationale":"more time for tenderers","tenderDeadline":"2025-04-20"}' \
    tenderAmendment tendering "deadline extended"
req GET /api/v1/procedures "$OFF"
[ "$CODE" = 200 ] && [ "$(jqb .procedures[0].nextDue.step)" = bids ] && [ "$(jqb .procedures[0].nextDue.date)" = 2025-04-21 ]
ok $? "officer's list: next due $(jqb .procedures[0].nextDue.step) from $(jqb .procedures[0].nextDue.date)"

# ---- bids and award -----------------------------------------------------------------------------
BIDS='{"date":"2025-04-21","bids":[
 {"id":"B1","tenderer":{"id":"BE-0400378485","name":"FN Herstal"},"value":{"amount":10000000,"currency":"EUR"},"date":"2025-04-14"},
 {"id":"B2","tenderer":{"id":"FR-552100554","name":"Thales"},"value":{"amount":9512345,"currency":"EUR"},"date":"2025-04-18"},
 {"id":"B3","tenderer":{"id":"NL-27376655","name":"Damen"},"value":{"amount":9000000,"currency":"EUR"},"date":"2025-04-19","status":"disqualified"}]}'
refuse award '{"date":"2025-04-19","bidId":"B1"}' lifecycle/award-before-tender-deadline "award before the deadline"
refuse bids '{"date":"2025-04-15","bids":[{"id":"B1","tenderer":{"id":"BE-0400378485","name":"FN"},"value":{"amount":1,"currency":"EUR"},"date":"2025-04-14"}]}' \
    lifecycle/bids-before-opening "bids published before the deadline"
refuse bids '{"date":"2025-04-21","bids":[{"id":"B1","tenderer":{"id":"US-9","name":"Z"},"value":{"amount":1,"currency":"EUR"},"date":"2025-04-14"}]}' \
    lifecycle/bid-from-uninvited "bid from an uninvited company"
refuse bids '{"date":"2025-04-22","bids":[{"id":"B1","tenderer":{"id":"BE-0400378485","name":"FN"},"value":{"amount":1,"currency":"EUR"},"date":"2025-04-21"}]}' \
    lifecycle/bid-after-deadline "late bid"
accept bids "$BIDS" tenderUpdate tendering "three bids opened"
refuse award '{"date":"2025-05-02","bidId":"B3"}' lifecycle/award-to-valid-bid "award to a disqualified bid"
refuse contract '{"dateSigned":"2025-05-13"}' lifecycle/step-not-allowed-in-state "contract before the award"
accept award '{"date":"2025-05-02","bidId":"B2","rationale":"best price-quality ratio"}' award awarded "award to B2"
AWARD_ID=$(jqb .releaseId)
req GET "$P" "$OFF"
[ "$(jqb .deadlines.contractNotBefore)" = 2025-05-13 ] && [ "$(jqb .nextDue.step)" = contract ]
ok $? "GET shows the standstill: contract not before $(jqb .deadlines.contractNotBefore)"

# ---- withheld award value: public vs auditor ----------------------------------------------------------
req GET "/api/v1/releases/$O/$AWARD_ID" ""
[ "$CODE" = 200 ] && [ "$(jqb '.awards[0].value.withheld')" = true ] && ! grep -q 9512345 "$T/body"
ok $? "public award release: value replaced by a withheld marker, amount absent"
COMMIT=$(jqb '.awards[0].value.commitment')
req GET "/api/v1/records/$O" ""
! grep -q 9512345 "$T/body"; ok $? "public record (compiled and versioned) never shows the amount"
req GET "/api/v1/releases/$O/$AWARD_ID?full=1" "$AUD"
[ "$CODE" = 200 ] && grep -q 9512345 "$T/body"; ok $? "auditor reads the withheld value ($CODE)"
req GET "/api/v1/releases/$O/$AWARD_ID?full=1" "$OFF"
[ "$CODE" = 403 ]; ok $? "an officer token cannot read withheld values through the auditor view ($CODE)"

# ---- contract and implementation ---------------------------------------------------------------------------
refuse contract '{"date":"2025-05-20","dateSigned":"2025-05-12"}' dir2009-81/art57-standstill "signed during the standstill"
refuse contract '{"date":"2025-07-01","dateSigned":"2025-05-13"}' dir2009-81/art30-award-notice "award notice on day 49"
accept contract '{"date":"2025-06-30","dateSigned":"2025-05-13","period":{"startDate":"2025-06-01","endDate":"2026-05-31"}}' \
    contract contracted "contract with its award notice on day 48"
accept milestones '{"date":"2025-07-01","milestones":[{"id":"M1","title":"First 20 systems","dueDate":"2025-09-01"}]}' \
    implementation contracted "milestone scheduled"
req GET /api/v1/procedures "$OFF"
[ "$(jqb .procedures[0].nextDue.step)" = milestones ] && [ "$(jqb .procedures[0].nextDue.date)" = 2025-09-01 ]
ok $? "list: next due milestone on $(jqb .procedures[0].nextDue.date)"
refuse transactions '{"date":"2025-07-02","id":"T1","value":{"amount":9512345.01,"currency":"EUR"}}' \
    lifecycle/payments-exceed-contract "payment above the contract value"
accept transactions '{"date":"2025-09-02","id":"T1","value":{"amount":4756172.5,"currency":"EUR"}}' implementation contracted \
    "first payment"
refuse transactions '{"date":"2025-09-03","id":"T1","value":{"amount":1,"currency":"EUR"}}' lifecycle/duplicate-id "payment id reused"
refuse amendment '{"date":"2025-10-01","rationale":"more","value":{"amount":14300000,"currency":"EUR"}}' \
    dir2009-81/art28-additional-works "amendment adding more than 50%"
accept amendment '{"date":"2025-10-01","rationale":"spare parts","value":{"amount":11000000,"currency":"EUR"}}' \
    contractAmendment contracted "amendment +16%"
accept milestones '{"date":"2025-10-02","milestones":[{"id":"M1","title":"First 20 systems","dueDate":"2025-09-01","status":"met","dateMet":"2025-09-01"}]}' \
    implementation contracted "milestone met"
accept transactions '{"date":"2026-01-15","id":"T2","value":{"amount":6243827.5,"currency":"EUR"},"final":true}' \
    implementation complete "final payment completes the procedure"
FINAL_ID=$(jqb .releaseId)
req GET "/api/v1/releases/$O/$FINAL_ID" ""
[ "$(jq '[.withheld[].path]|length' "$T/body")" = 7 ] && ! grep -qE '9512345|4756172|6243827|11000000' "$T/body"
ok $? "final public release: the award value and the 6 values that tell it (bids, contract, payments) are withheld"
LAST_COMMIT=$(jqb '.awards[0].value.commitment')
refuse transactions '{"date":"2026-01-16","id":"T3","value":{"amount":1,"currency":"EUR"}}' \
    lifecycle/step-not-allowed-in-state "payment after completion"
refuse termination '{"date":"2026-01-16","rationale":"x"}' lifecycle/step-not-allowed-in-state "termination after completion"

# ---- disclosure ------------------------------------------------------------------------------------------------
refuse disclosure '{"date":"2026-01-16","paths":["/tender/value"]}' lifecycle/not-withheld "disclosing what is not withheld"
accept disclosure '{"date":"2026-01-16","paths":["/awards/0/value"]}' implementationUpdate complete "award value disclosed"
DISC_ID=$(jqb .releaseId)
req GET "/api/v1/releases/$O/$DISC_ID" ""
python3 - "$T/body" "$LAST_COMMIT" <<'EOF'
import hashlib, json, sys
def at(doc, ptr):
    for tok in ptr.split("/")[1:]:
        doc = doc[int(tok)] if isinstance(doc, list) else doc[tok]
    return doc
r = json.load(open(sys.argv[1]))
opened = 0
for w in r["withheld"]:
    v = at(r, w["path"])
    jcs = json.dumps(v, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    h = "sha256:" + hashlib.sha256(bytes.fromhex(w["salt"]) + jcs).hexdigest()
    opened += w.get("disclosed") is True and h == w["commitment"]
award = [w for w in r["withheld"] if w["path"] == "/awards/0/value"][0]
sys.exit(0 if opened == 7 == len(r["withheld"]) and award["commitment"] == sys.argv[2]
         and r["awards"][0]["value"]["amount"] == 9512345 else 1)
EOF
ok $? "all 7 disclosed values and salts open their commitments, the award value that of the previous public release (checked independently)"
[ -n "$COMMIT" ] && [ "$COMMIT" != null ]; ok $? "the award release carried a commitment too ($COMMIT)"

# ---- the ledger -----------------------------------------------------------------------------------------------------
N=$(logsize)
[ "$N" = 14 ]; ok $? "14 releases in the log ($N): every accepted step, no refused one"
sqlite3 "$T/d/belfry.db" "select data from log_entry" >"$T/entries"
[ "$(grep -c "\"actor\":\"officer:$OFFID@BE-MOD\"" "$T/entries")" = 14 ]; ok $? "each entry records the officer's actor"
! grep -q 9512345 "$T/entries"; ok $? "no ledger entry carries the withheld amount"
"$B" check --data "$T/d" >/dev/null 2>&1 || [ $? = 0 ]
req GET "$P" "$OFF"
[ "$(jqb .state)" = complete ] && [ "$(jqb '.allowedSteps|length')" = 0 ] && [ "$(jqb .nextDue)" = null ]
ok $? "final state complete, nothing due, no step allowed"
stop_serve
server_clean "$T/err"; ok $? "server ran clean under ASan/UBSan"
done_testing
