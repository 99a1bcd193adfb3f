#!/usr/bin/env bash
# security_access.sh - access control across every endpoint of the real
# server, whichever domain registered it (the route list comes from the
# server's own OpenAPI document, so a new endpoint is covered the day it
# appears):
#   - every write route: 401 (with a Bearer challenge) without a token and
#     with a malformed, unknown, expired or revoked token; 403 for auditors;
#   - the explicit matrix of the access and procurement routes: each role
#     (none, admin, auditor, officer of buyer A, officer of buyer B) gets
#     exactly its status; officer A cannot read or touch buyer B's
#     procedure and lists only its own;
#   - revocation takes effect on the next request; an expired token stops
#     working;
#   - every GET route, anonymous or as an officer, never shows a withheld
#     value, a token or a token digest; the token list shows neither;
#   - tokens are never in the database files in clear.
. "$(dirname "$0")/lib.sh"

"$B" init --data "$T/d" --origin belfry.test/sec >/dev/null 2>&1; ok $? "init"
tok() { "$B" token create --data "$T/d" "$@" 2>/dev/null; }
ADM=$(tok --role admin --label ops)
AUD=$(tok --role auditor --label "Court of Audit")
OFA=$(tok --role officer --buyer BE-MOD --label "officer A")
OFB=$(tok --role officer --buyer BE-NAVY --label "officer B")
EXP=$(tok --role officer --buyer BE-MOD --expires 2s)
REV=$(tok --role officer --buyer BE-MOD)
REV2=$(tok --role auditor)
GARBAGE=bfy_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
idof() { printf '%s' "$1" | sha256sum | cut -c1-16; }
"$B" token revoke --data "$T/d" "$REV" 2>/dev/null; ok $? "revoke by token"
"$B" token revoke --data "$T/d" "$(idof "$REV2" | cut -c1-8)" 2>/dev/null; ok $? "revoke by id prefix"
for t in "$ADM" "$AUD" "$OFA" "$OFB" "$EXP"; do [ ${#t} = 47 ] || echo "# bad token $t"; done

start_serve "$T/d" "$T/out" "$T/err" --write-rate 0
[ -n "$PORT" ]; ok $? "server up"

# st METHOD PATH TOKEN [BODY] -> prints the status; body in $T/body, headers in $T/hdr
st() { http_req "$@"; }

# the expired token works now, not later
[ "$(st GET /api/v1/me "$EXP")" = 200 ]; ok $? "short-lived token works before it expires"

# ---- seed: a procedure of buyer A with a withheld award value, one of buyer B --------------
CREATE='{"title":"Counter-drone systems","procedure":"restricted","mainProcurementCategory":"goods",
 "estimatedValue":{"amount":8000000,"currency":"EUR"},"capabilityArea":"airDefence","date":"2025-01-06",
 "withheld":[{"path":"/awards/0/value","reason":"defenceSecurity","disclosureDate":"2030-01-01"}]}'
[ "$(st POST /api/v1/procedures "$OFA" "$CREATE")" = 201 ]; ok $? "officer A starts a procedure"
PA=$(jq -r .ocid "$T/body")
[ "$(st POST /api/v1/procedures "$OFB" "${CREATE/Counter-drone/Patrol vessels}")" = 201 ]; ok $? "officer B starts one"
PB=$(jq -r .ocid "$T/body")
SECRET=7345678
steps=(
 "tender|{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-03-12\"}"
 "invitation|{\"date\":\"2025-03-13\",\"tenderDeadline\":\"2025-04-22\",\"candidates\":[{\"id\":\"BE-1\",\"name\":\"A\"},{\"id\":\"DE-2\",\"name\":\"B\"},{\"id\":\"SE-3\",\"name\":\"C\"}]}"
 "bids|{\"date\":\"2025-04-23\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"DE-2\",\"name\":\"B\"},\"value\":{\"amount\":$SECRET,\"currency\":\"EUR\"},\"date\":\"2025-04-20\"}]}"
 "award|{\"date\":\"2025-05-02\",\"bidId\":\"B1\"}"
)
good=0
for s in "${steps[@]}"; do [ "$(st POST "/api/v1/procedures/$PA/${s%%|*}" "$OFA" "${s#*|}")" = 201 ] && good=$((good + 1)); done
[ $good = 4 ]; ok $? "officer A drives it to the award ($good/4 steps)"
AWARD=$(jq -r .releaseId "$T/body")

# ---- every write route from the OpenAPI document ------------------------------------------------------
st GET /api/v1/openapi.json "" >/dev/null
jq -r '.paths | to_entries[] | .key as $k | .value | keys[] | select(. != "get" and . != "head") | "\(.) \($k)"' \
    "$T/body" >"$T/writes"
jq -r '.paths | to_entries[] | .key as $k | .value | keys[] | select(. == "get") | $k' "$T/body" >"$T/reads"
nw=$(wc -l <"$T/writes"); nr=$(wc -l <"$T/reads")
[ "$nw" -ge 16 ] && [ "$nr" -ge 10 ]; ok $? "OpenAPI lists $nw write and $nr read routes"
fill() { # substitutes path parameters with live values
    local p=$1
    p=${p//\{ocid\}/$PA}; p=${p//\{id\}/$AWARD}; p=${p//\{index\}/0}; p=${p//\{path\}/index.html}
    printf '%s' "$p"
}
bad=""
while read -r m path; do
    M=$(echo "$m" | tr a-z A-Z); p=$(fill "$path")
    for who in none garbage expired revoked; do
        case $who in none) t="" ;; garbage) t=$GARBAGE ;; expired) t=$EXP ;; revoked) t=$REV ;; esac
        [ $who = expired ] && [ -z "${slept:-}" ] && { sleep 2.2; slept=1; }
        s=$(st "$M" "$p" "$t" '{}')
        if [ "$s" != 401 ] || ! grep -qi '^WWW-Authenticate: Bearer' "$T/hdr" ||
            [ "$(jq -r .error.status "$T/body" 2>/dev/null)" != 401 ]; then
            bad="$bad $M $path ($who: $s);"
        fi
    done
    s=$(st "$M" "$p" "$AUD" '{}')
    [ "$s" = 403 ] || bad="$bad $M $path (auditor: $s);"
done <"$T/writes"
[ -z "$bad" ]; ok $? "every write route: 401 + Bearer challenge for no/garbage/expired/revoked token, 403 for auditors${bad:+ -- FAILED:$bad}"
bad=""; nb=0
before=$(sqlite3 "$T/d/belfry.db" "select count(*) from log_entry")
while read -r m path; do
    case $path in *"{ocid}"*) ;; *) continue ;; esac
    M=$(echo "$m" | tr a-z A-Z); p=$(fill "$path"); nb=$((nb + 1))
    s=$(st "$M" "$p" "$OFB" '{"date":"2025-05-03","rationale":"x","paths":["/awards/0/value"]}')
    [ "$s" = 403 ] || bad="$bad $M $path ($s);"
    s=$(st "$M" "${p/$PA/$PB}" "$OFA" '{"date":"2025-05-03","rationale":"x"}')
    [ "$s" = 403 ] || [ "$s" = 400 ] || bad="$bad $M ${path} on B by A ($s);"
done <"$T/writes"
[ -z "$bad" ] && [ "$(sqlite3 "$T/d/belfry.db" "select count(*) from log_entry")" = "$before" ] && [ $nb -ge 14 ]
ok $? "officer B gets 403 on all $nb step routes of buyer A's procedure (and A on B's), nothing logged${bad:+ -- FAILED:$bad}"

# ---- the explicit matrix ----------------------------------------------------------------------------------
# expect METHOD PATH BODY "none admin auditor offA offB"
expect() {
    local want=($4) who=(none admin auditor offA offB) toks=("" "$ADM" "$AUD" "$OFA" "$OFB") i got=""
    for i in 0 1 2 3 4; do got="$got $(st "$1" "$2" "${toks[$i]}" "$3")"; done
    [ "$got" = " $4" ]; ok $? "$1 $2: none/admin/auditor/officerA/officerB = $4 (got$got)"
}
expect GET /api/v1/me '' "401 200 200 200 200"
expect GET /api/v1/tokens '' "401 200 403 403 403"
expect GET /api/v1/rules '' "200 200 200 200 200"
expect GET /api/v1/procedure-steps '' "200 200 200 200 200"
expect GET /api/v1/procedures '' "401 200 200 200 200"
expect GET "/api/v1/procedures/$PA" '' "401 200 200 200 403"
expect GET "/api/v1/procedures/$PB" '' "401 200 200 403 200"
expect POST "/api/v1/procedures/$PA/validate?step=contract" '{"dateSigned":"2025-05-20"}' "401 403 403 200 403"
expect POST "/api/v1/procedures/$PB/cancellation" '{"date":"2025-01-07","rationale":"x"}' "401 403 403 403 201"
expect POST "/api/v1/procedures/$PA/contract" '{"date":"2025-05-10","dateSigned":"2025-05-10"}' "401 403 403 409 403"
expect GET "/api/v1/releases/$PA/$AWARD?full=1" '' "401 200 200 403 403"
expect POST /api/v1/procedures/validate "$CREATE" "401 403 403 200 200"

st GET /api/v1/procedures "$OFA" >/dev/null
[ "$(jq -r '[.procedures[].buyer]|unique|join(",")' "$T/body")" = BE-MOD ]; ok $? "officer A lists only buyer BE-MOD"
st GET "/api/v1/procedures?buyer=BE-NAVY" "$OFA" >/dev/null
[ "$(jq -r '[.procedures[].buyer]|unique|join(",")' "$T/body")" = BE-MOD ]; ok $? "?buyer= cannot widen an officer's list"
st GET "/api/v1/procedures?buyer=BE-NAVY" "$AUD" >/dev/null
[ "$(jq -r '[.procedures[].buyer]|unique|join(",")' "$T/body")" = BE-NAVY ]; ok $? "an auditor filters by buyer"
[ "$(st POST /api/v1/procedures "$OFA" "${CREATE/\"title\"/\"buyer\":\"BE-NAVY\",\"title\"}")" = 400 ]
ok $? "a body cannot name another buyer (400 unknown field)"

# ---- revocation and expiry -------------------------------------------------------------------------------------
LATE=$(tok --role officer --buyer BE-MOD)
[ "$(st GET /api/v1/me "$LATE")" = 200 ]; ok $? "fresh token accepted"
"$B" token revoke --data "$T/d" "$LATE" 2>/dev/null
[ "$(st GET /api/v1/me "$LATE")" = 401 ] && grep -q revoked "$T/body"; ok $? "revoked while the server runs: 401 on the next request"
[ "$(st GET /api/v1/me "$EXP")" = 401 ] && grep -q expired "$T/body"; ok $? "expired token: 401 'expired'"
[ "$(st GET /api/v1/me "${OFA:0:46}")" = 401 ]; ok $? "truncated token: 401"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $(printf a:b | base64)" "$U/api/v1/me")" = 401 ]
ok $? "Basic credentials: 401"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(head -c 6000 /dev/zero | tr '\0' a)" "$U/api/v1/me")" = 401 ]
ok $? "6 kB bearer token: 401"

# ---- public reads never show withheld values or secrets -------------------------------------------------------------
leak=""
while read -r path; do
    p=$(fill "$path")
    for t in "" "$OFA"; do
        s=$(st GET "$p" "$t")
        [ "${s:0:1}" = 5 ] && leak="$leak $path ($s);"
        grep -qE "$SECRET|bfy_[A-Za-z0-9_-]{43}" "$T/body" && leak="$leak $path (${t:+officer});"
        for x in "$ADM" "$AUD" "$OFA" "$OFB"; do
            h=$(printf '%s' "$x" | sha256sum | cut -c1-64)
            grep -q "$h" "$T/body" && leak="$leak $path (digest);"
        done
    done
done <"$T/reads"
for p in "/api/v1/records/$PA" "/api/v1/releases/$PA/$AWARD" "/api/v1/releases?after=0" "/api/v1/export?format=jsonl" \
    "/api/v1/search?q=Counter-drone" "/api/v1/organisations/DE-2"; do
    st GET "$p" "" >/dev/null
    grep -q "$SECRET" "$T/body" && leak="$leak $p;"
done
[ -z "$leak" ]; ok $? "no GET route (public or officer) shows the withheld amount, a token or a digest, nor answers 5xx${leak:+ -- LEAKS:$leak}"
st GET /api/v1/tokens "$ADM" >/dev/null
[ "$(jq '.tokens|length' "$T/body")" -ge 8 ] && ! grep -qE "bfy_[A-Za-z0-9_-]{43}" "$T/body" && ! grep -q "$(printf '%s' "$OFA" | sha256sum | cut -c1-64)" "$T/body"
ok $? "the admin's token list has ids and roles, no token, no digest"

# ---- tokens at rest --------------------------------------------------------------------------------------------------
stop_serve
found=0
for f in "$T"/d/belfry.db*; do
    for x in "$ADM" "$AUD" "$OFA" "$OFB" "$EXP" "$REV" "$LATE"; do grep -qaF "${x:4}" "$f" && found=1; done
done
[ $found = 0 ]; ok $? "no token (nor its random part) in belfry.db, -wal or -shm"
[ "$(sqlite3 "$T/d/belfry.db" "select count(*) from auth_tokens where length(hash) = 32")" -ge 8 ]
ok $? "the tokens table holds 32-byte digests"
server_clean "$T/err"; ok $? "server ran clean under ASan/UBSan"
done_testing
