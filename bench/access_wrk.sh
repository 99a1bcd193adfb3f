#!/usr/bin/env bash
# access_wrk.sh - HTTP cost of access control and of the lifecycle API,
# with wrk against the release binary (./belfry) on loopback; results in
# bench/results/access_http.txt.
#   GET  /api/v1/me                         token check + reply (every authenticated request pays this)
#   GET  /api/v1/procedures/{ocid}          token check + procedure load + deadlines view
#   POST /api/v1/procedures/{ocid}/validate dry run of a step (parse, rules, release build; nothing stored)
#   GET  /api/v1/rules                      public, no token
# Usage: bench/access_wrk.sh [SECONDS] [CONNECTIONS]
set -eu
cd "$(dirname "$0")/.."
S=${1:-5}
C=${2:-32}
B=./belfry
OUT=bench/results/access_http.txt
[ -x "$B" ] || { echo "build ./belfry first (make belfry)" >&2; exit 1; }
T=$(mktemp -d)
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
"$B" init --data "$T/d" --origin belfry.bench/access >/dev/null 2>&1
TOK=$("$B" token create --data "$T/d" --role officer --buyer BE-MOD 2>/dev/null)
for i in $(seq 200); do "$B" token create --data "$T/d" --role auditor >/dev/null 2>&1; done
"$B" serve --data "$T/d" --listen 127.0.0.1:0 --rate 0 --write-rate 0 --threads 2 >"$T/out" 2>"$T/err" &
SPID=$!
for _ in $(seq 100); do grep -q 'listening on port' "$T/out" 2>/dev/null && break; sleep 0.1; done
U=http://127.0.0.1:$(sed -n 's/^listening on port \([0-9]*\)$/\1/p' "$T/out")
H="Authorization: Bearer $TOK"
curl -s -o /dev/null -H "$H" -H 'Content-Type: application/json' --data-binary \
    '{"title":"Bench","procedure":"restricted","mainProcurementCategory":"goods","estimatedValue":{"amount":5000000,"currency":"EUR"},"capabilityArea":"land","date":"2025-01-06"}' \
    "$U/api/v1/procedures"
O=ocds-belfry-BE-MOD-000001
cat >"$T/validate.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"date":"2025-02-03","requestsDeadline":"2025-03-12","electronicNotice":true}'
EOF
run() { # label args...
    local label=$1
    shift
    wrk -t2 -c"$C" -d"${S}s" --latency "$@" >"$T/w" 2>&1
    printf '%-44s %10s req/s   p50 %8s   p99 %8s\n' "$label" "$(awk '/Requests\/sec/ {print $2}' "$T/w")" \
        "$(awk '$1 == "50%" {print $2}' "$T/w")" "$(awk '$1 == "99%" {print $2}' "$T/w")"
}
{
    echo "# access_wrk.sh: wrk -t2 -c$C -d${S}s on loopback, server --threads 2, $(nproc) CPUs shared with wrk;" \
        "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine lowers these figures)"
    run "GET /api/v1/me (token check)" -H "$H" "$U/api/v1/me"
    run "GET /api/v1/procedures/{ocid}" -H "$H" "$U/api/v1/procedures/$O"
    run "POST /api/v1/procedures/{ocid}/validate" -H "$H" -s "$T/validate.lua" "$U/api/v1/procedures/$O/validate?step=tender"
    run "GET /api/v1/rules (public)" "$U/api/v1/rules"
} | tee "$OUT"
