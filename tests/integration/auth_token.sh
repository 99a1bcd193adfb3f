#!/usr/bin/env bash
# auth_token.sh - `belfry token create|list|revoke` with the real binary:
# the token is printed once on stdout (one line), its id and expiry on
# stderr; list shows ids, roles, buyers, status and never a secret;
# revoke by token or id prefix, refusing ambiguous, unknown and repeated
# revocations; usage errors exit 2, refusals 1.
. "$(dirname "$0")/lib.sh"

"$B" token list --data "$T/none" >/dev/null 2>"$T/e"; rc=$?
[ $rc = 1 ] && grep -q 'belfry init' "$T/e"; ok $? "no store: exit 1 and a hint to run init"
"$B" init --data "$T/d" --origin belfry.test/auth >/dev/null 2>&1; ok $? "init"

OFF=$("$B" token create --data "$T/d" --role officer --buyer BE-MOD --label "Jan Peeters, DGMR" 2>"$T/e"); rc=$?
[ $rc = 0 ] && [ "$(printf '%s\n' "$OFF" | wc -l)" = 1 ] && [[ "$OFF" =~ ^bfy_[A-Za-z0-9_-]{43}$ ]]
ok $? "create prints exactly one token line: ${OFF:0:8}..."
ID=$(printf '%s' "$OFF" | sha256sum | cut -c1-16)
grep -q "token $ID: role officer, buyer BE-MOD, expires 20" "$T/e" && grep -q 'shown only this once' "$T/e"
ok $? "stderr names the id $ID, role, buyer, expiry (default 90 days)"
AUD=$("$B" token create --data "$T/d" --role auditor --expires never 2>"$T/e"); ok $? "auditor token that never expires"
grep -q 'expires never' "$T/e"; ok $? "... and says so"
ADM=$("$B" token create --data "$T/d" --role admin --expires 12h 2>/dev/null); ok $? "admin token for 12 hours"

"$B" token create --data "$T/d" --role officer 2>"$T/e" >/dev/null; [ $? = 1 ] && grep -q -- '--buyer' "$T/e"
ok $? "officer without --buyer refused"
"$B" token create --data "$T/d" --role auditor --buyer BE-MOD 2>/dev/null >/dev/null; [ $? = 1 ]; ok $? "auditor with a buyer refused"
"$B" token create --data "$T/d" --role root 2>/dev/null >/dev/null; [ $? = 1 ]; ok $? "unknown role refused"
"$B" token create --data "$T/d" --role admin --expires -3 2>/dev/null >/dev/null; [ $? = 1 ]; ok $? "negative expiry refused"
"$B" token create --data "$T/d" --role admin --expires 5x 2>/dev/null >/dev/null; [ $? = 1 ]; ok $? "bad expiry unit refused"
"$B" token create --data "$T/d" --role officer --buyer '../etc' 2>/dev/null >/dev/null; [ $? = 1 ]; ok $? "buyer id with '/' refused"
"$B" token create --data "$T/d" --role admin --bogus 2>/dev/null >/dev/null; [ $? = 2 ]; ok $? "unknown option: usage, exit 2"
"$B" token 2>/dev/null; [ $? = 2 ]; ok $? "no subcommand: usage, exit 2"

"$B" token list --data "$T/d" >"$T/list" 2>/dev/null; ok $? "list"
[ "$(grep -c ' active ' "$T/list")" = 3 ] && grep -q "^$ID  officer  active   BE-MOD" "$T/list" && grep -q 'Jan Peeters' "$T/list"
ok $? "list shows 3 active tokens with id, role, buyer, label"
! grep -qE 'bfy_|[0-9a-f]{64}' "$T/list"; ok $? "list shows no token and no digest"
"$B" token list --data "$T/d" --json >"$T/json" 2>/dev/null
[ "$(jq -s 'length' "$T/json")" = 3 ] && [ "$(jq -rs 'map(select(.role=="officer"))[0].label' "$T/json")" = "Jan Peeters, DGMR" ] &&
    [ "$(jq -rs 'map(select(.role=="auditor"))[0] | "\(.buyer) \(.expires) \(.revoked)"' "$T/json")" = "null null null" ]
ok $? "--json lines parse; absent buyer, expiry and revocation are null"

"$B" token revoke --data "$T/d" abc 2>"$T/e"; [ $? = 1 ]; ok $? "a 3-character prefix is refused"
"$B" token revoke --data "$T/d" ffffffffffffffff 2>"$T/e"; rc=$?
[ $rc = 1 ] && grep -q 'no token' "$T/e" || [ "${ID:0:4}" = ffff ]; ok $? "unknown id refused"
"$B" token revoke --data "$T/d" "${ID:0:6}" 2>"$T/e"; [ $? = 0 ] && grep -q "token $ID revoked" "$T/e"
ok $? "revoke by 6-character id prefix"
"$B" token revoke --data "$T/d" "$OFF" 2>"$T/e"; [ $? = 1 ] && grep -q 'already revoked' "$T/e"; ok $? "revoking twice is refused"
"$B" token revoke --data "$T/d" "$AUD" 2>/dev/null; ok $? "revoke by the token itself"
"$B" token list --data "$T/d" --json 2>/dev/null | jq -r 'select(.status=="revoked" and .revoked != null) | .id' | sort >"$T/rev"
[ "$(wc -l <"$T/rev")" = 2 ] && grep -q "$ID" "$T/rev"; ok $? "list shows both as revoked, with their revocation time"
for f in "$T"/d/belfry.db*; do grep -qaF "${OFF:4}" "$f" && echo "# token in $f"; done | grep -q . ; [ $? = 1 ]
ok $? "the token's random part is in no database file"
done_testing
