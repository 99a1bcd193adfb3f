#!/usr/bin/env bash
# security_limits.sh - oversized and malformed requests against the
# lifecycle API through the HTTP layer's limits, path traversal on the
# static files, and the write rate limit: each gets a clear 4xx in the
# standard error format, nothing is published, and the server keeps
# serving (ASan/UBSan clean).
. "$(dirname "$0")/lib.sh"

"$B" init --data "$T/d" --origin belfry.test/limits >/dev/null 2>&1; ok $? "init"
OFA=$("$B" token create --data "$T/d" --role officer --buyer BE-MOD 2>/dev/null)
start() { start_serve "$T/d" "$T/out" "$T/err" --web web "$@"; } # extra serve options
stop() { stop_serve; }
start --write-rate 0
[ -n "$PORT" ]; ok $? "server up"
logsize() { sqlite3 "$T/d/belfry.db" "select count(*) from log_entry"; }
# post FILE PATH -> status, body in $T/body
post() { api_status "$OFA" --data-binary "@$1" "$U$2"; }
std() { [ "$(jq -r .error.status "$T/body" 2>/dev/null)" = "$1" ] && [ -n "$(jq -r .error.message "$T/body")" ]; }

python3 - "$T" <<'EOF'
import sys
t = sys.argv[1]
def w(name, data):
    open(t + "/" + name, "wb").write(data if isinstance(data, bytes) else data.encode())
base = '{"title":"%s","procedure":"restricted","mainProcurementCategory":"goods","estimatedValue":{"amount":1000000,"currency":"EUR"},"capabilityArea":"land"}'
w("big300k.json", base % ("x" * 300 * 1024))
w("big5m.json", base % ("x" * 5 * 1024 * 1024))
w("malformed.json", '{"title": "x", "procedure": ')
w("latin1.json", (base % "Bruxelles caf\xe9").encode("latin-1"))
w("deep.json", '{"title":' + "[" * 100000 + "]" * 100000 + "}")
w("hugenum.json", base.replace("1000000", "1e999") % "x")
w("bignum.json", base.replace("1000000", "123456789012345678901234567890") % "x")
w("empty.json", "")
w("nul.json", '{"title":"a\\u0000b","procedure":"restricted"}')
w("array.json", "[1,2,3]")
w("dupkey.json", '{"title":"a","title":"b"}')
w("ok.json", base % "Limits test")
w("tender.json", '{"requestsDeadline":"2030-03-12"}')
EOF
before=$(logsize)
s=$(post "$T/big300k.json" /api/v1/procedures); [ "$s" = 413 ] && std 413; ok $? "300 KiB body over the route's 256 KiB ceiling: $s"
s=$(post "$T/big5m.json" /api/v1/procedures); [ "$s" = 413 ]; ok $? "5 MiB body: $s"
s=$(post "$T/malformed.json" /api/v1/procedures); [ "$s" = 400 ] && std 400 && jq -e '.error.issues|length>0' "$T/body" >/dev/null
ok $? "truncated JSON: 400 with issues ($(jq -r .error.message "$T/body"))"
s=$(post "$T/latin1.json" /api/v1/procedures); [ "$s" = 400 ] && std 400; ok $? "ISO-8859-1 bytes: $s"
s=$(post "$T/deep.json" /api/v1/procedures); { [ "$s" = 400 ] || [ "$s" = 413 ]; }; ok $? "100 000 nested arrays: $s, no crash"
s=$(post "$T/hugenum.json" /api/v1/procedures); [ "$s" = 400 ] && std 400; ok $? "1e999: $s"
s=$(post "$T/bignum.json" /api/v1/procedures); [ "$s" = 400 ] && std 400; ok $? "30-digit integer: $s"
s=$(post "$T/empty.json" /api/v1/procedures); [ "$s" = 400 ] && std 400; ok $? "empty body: $s"
s=$(post "$T/nul.json" /api/v1/procedures); [ "$s" = 400 ] && std 400; ok $? "NUL in a string: $s"
s=$(post "$T/array.json" /api/v1/procedures); [ "$s" = 400 ] && std 400; ok $? "array body: $s"
s=$(post "$T/dupkey.json" /api/v1/procedures); [ "$s" = 400 ] && std 400; ok $? "duplicate keys: $s"
[ "$(logsize)" = "$before" ]; ok $? "nothing published by any of them"
s=$(post "$T/ok.json" /api/v1/procedures); [ "$s" = 201 ]; ok $? "then a valid request: $s"
O=$(jq -r .ocid "$T/body")
s=$(post "$T/malformed.json" "/api/v1/procedures/$O/tender"); [ "$s" = 400 ] && std 400; ok $? "malformed step body: $s"
long=$(head -c 400 /dev/zero | tr '\0' x)
s=$(post "$T/tender.json" "/api/v1/procedures/$long/tender"); [ "$s" = 404 ] && std 404
ok $? "400-character ocid: $s"
s=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $OFA" "$U/api/v1/procedures/$O/tender")
[ "$s" = 405 ] || [ "$s" = 404 ]; ok $? "GET on a POST-only step route: $s"
s=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $OFA" "$U/api/v1/procedures?limit=100000")
[ "$s" = 400 ] && std 400; ok $? "limit above 500: $s"
s=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $OFA" "$U/api/v1/procedures?state=nonsense")
[ "$s" = 400 ] && std 400; ok $? "unknown state filter: $s"
s=$(curl -s -o "$T/body" -w '%{http_code}' "$U/api/v1/$(head -c 100000 /dev/zero | tr '\0' a)")
[ "${s:0:1}" = 4 ]; ok $? "100 kB URL: $s"

# ---- static files: no traversal --------------------------------------------------------------------
trav=""
for p in '/../../../../etc/passwd' '/%2e%2e/%2e%2e/%2e%2e/etc/passwd' '/..%2f..%2f..%2fetc%2fpasswd' \
    '/%252e%252e/etc/passwd' '/web/../Makefile' '/..%5c..%5cMakefile' '/index.html%00.js' '/./../Makefile'; do
    s=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' "$U$p")
    { grep -q 'root:' "$T/body" || grep -q 'CFLAGS' "$T/body"; } && trav="$trav $p ($s)"
done
[ -z "$trav" ]; ok $? "path traversal never reaches /etc/passwd or the Makefile${trav:+ -- $trav}"
stop

# ---- the write rate limit ---------------------------------------------------------------------------
start --write-rate 3
codes=""
for i in $(seq 12); do codes="$codes $(post "$T/malformed.json" "/api/v1/procedures/$O/tender")"; done
echo "$codes" | grep -q 429; ok $? "12 writes in a burst with --write-rate 3: some 429 ($codes)"
sleep 1.2
s=$(post "$T/malformed.json" "/api/v1/procedures/$O/tender"); [ "$s" = 400 ]; ok $? "after a second the client may write again ($s)"
stop
server_clean "$T/err"; ok $? "server ran clean under ASan/UBSan"
done_testing
