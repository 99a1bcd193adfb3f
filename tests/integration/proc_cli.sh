#!/usr/bin/env bash
# proc_cli.sh - `belfry proc`: the same lifecycle service as the HTTP API
# from the command line: create, a refused step (exit 1, the rule on
# stdout, the message on stderr), an accepted one, --dry-run publishes
# nothing, show and list, roles and token sources, and the ledger's lock
# refusing a second writer while `belfry serve` runs.
. "$(dirname "$0")/lib.sh"
logsize() { sqlite3 "$T/d/belfry.db" "select count(*) from log_entry"; }

"$B" init --data "$T/d" --origin belfry.test/cli >/dev/null 2>&1; ok $? "init"
OFF=$("$B" token create --data "$T/d" --role officer --buyer BE-MOD 2>/dev/null)
AUD=$("$B" token create --data "$T/d" --role auditor 2>/dev/null)
cat >"$T/create.json" <<'EOF'
{"title":"Night-vision goggles","procedure":"negotiatedWithPublication","mainProcurementCategory":"goods",
 "estimatedValue":{"amount":2400000,"currency":"EUR"},"capabilityArea":"land","date":"2025-01-06"}
EOF
BELFRY_TOKEN=$OFF "$B" proc --data "$T/d" create "$T/create.json" --dry-run >"$T/o" 2>/dev/null
[ $? = 0 ] && [ "$(jq -r .valid "$T/o")" = true ] && [ "$(logsize)" = 0 ]; ok $? "--dry-run: valid, nothing logged"
BELFRY_TOKEN=$OFF "$B" proc --data "$T/d" create "$T/create.json" >"$T/o" 2>/dev/null
[ $? = 0 ] && [ "$(jq -r .ocid "$T/o")" = ocds-belfry-BE-MOD-000001 ] && [ "$(logsize)" = 1 ]; ok $? "create publishes the planning release"
O=ocds-belfry-BE-MOD-000001
echo '{"date":"2025-02-03","requestsDeadline":"2025-03-01"}' |
    BELFRY_TOKEN=$OFF "$B" proc --data "$T/d" step $O tender - >"$T/o" 2>"$T/e"
[ $? = 1 ] && [ "$(jq -r .error.rule "$T/o")" = dir2009-81/art33-min-time-requests ] && grep -q '^belfry: 409 requests' "$T/e"
ok $? "a short deadline: exit 1, rule in the JSON, message on stderr"
printf '%s\n' "$OFF" >"$T/tok"
chmod 600 "$T/tok"
echo '{"date":"2025-02-03","requestsDeadline":"2025-03-12"}' | "$B" proc --data "$T/d" --token-file "$T/tok" step $O tender - >"$T/o" 2>/dev/null
[ $? = 0 ] && [ "$(jq -r .procedure.state "$T/o")" = requests ] && [ "$(logsize)" = 2 ]; ok $? "token from --token-file; notice published"
BELFRY_TOKEN=$OFF "$B" proc --data "$T/d" show $O >"$T/o" 2>/dev/null
[ $? = 0 ] && [ "$(jq -r .deadlines.requestsDeadline "$T/o")" = 2025-03-12 ] && [ "$(jq -r .nextDue.step "$T/o")" = invitation ]
ok $? "show: deadlines and what is due next"
BELFRY_TOKEN=$AUD "$B" proc --data "$T/d" list >"$T/o" 2>/dev/null
[ $? = 0 ] && [ "$(jq -r '.procedures|length' "$T/o")" = 1 ]; ok $? "an auditor lists all procedures"
BELFRY_TOKEN=$AUD "$B" proc --data "$T/d" create "$T/create.json" >/dev/null 2>"$T/e"
[ $? = 1 ] && grep -q 'needs: officer' "$T/e"; ok $? "an auditor cannot create"
env -u BELFRY_TOKEN "$B" proc --data "$T/d" list >/dev/null 2>"$T/e"; [ $? = 1 ] && grep -q BELFRY_TOKEN "$T/e"; ok $? "no token: exit 1"
# Change the last character to one it is not, so the token is always wrong.
case "$OFF" in *A) WRONG=${OFF%?}B ;; *) WRONG=${OFF%?}A ;; esac
BELFRY_TOKEN=$WRONG "$B" proc --data "$T/d" list >/dev/null 2>"$T/e"; [ $? = 1 ]; ok $? "a wrong token: exit 1"
"$B" proc --data "$T/d" step $O >/dev/null 2>&1; [ $? = 2 ]; ok $? "missing arguments: usage, exit 2"
BELFRY_TOKEN=$OFF "$B" proc --data "$T/d" step $O nonsense - </dev/null >/dev/null 2>&1; [ $? = 1 ]; ok $? "unknown step: exit 1"
"$B" proc rules >"$T/o" 2>/dev/null; [ "$(jq -r '.[0].thresholds | map(select(.from=="2024-01-01"))[0].suppliesAndServices' "$T/o")" = 443000 ]
ok $? "rules: the table as JSON (EUR 443 000 for 2024-25)"

start_serve "$T/d" "$T/out" "$T/err"
echo '{"date":"2025-02-04","rationale":"r"}' | BELFRY_TOKEN=$OFF "$B" proc --data "$T/d" step $O cancellation - >/dev/null 2>"$T/e"
[ $? = 1 ] && [ "$(logsize)" = 2 ]; ok $? "while the server runs the ledger lock refuses a second writer: $(head -c 120 "$T/e")"
done_testing
