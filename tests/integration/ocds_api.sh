#!/usr/bin/env bash
# ocds_api.sh - the public OCDS read API against a running `belfry serve`
# on a demo store: change-feed pagination (every release exactly once, in
# log order, stable cursor), release and record reads that agree with the
# store and carry receipts, withheld values hidden from the public and
# shown to auditors only (401 / 403 / 200), conditional GET, CORS,
# parameter errors, and the HTTP export in every format.
set -u
B=${BELFRY:-build/asan/belfry}
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
T=$(mktemp -d)
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
D=$T/d
q() { sqlite3 "$D/belfry.db" "$1"; }
. "$(dirname "$0")/lib_store.sh"

"$B" init --data "$D" --origin belfry.test/api >/dev/null 2>&1
"$B" demo --data "$D" --count 1500 --seed 3 --no-real --quiet >/dev/null; ok $? "demo store with 1500 releases"
AUD=$("$B" token create --data "$D" --role auditor --label api-test 2>/dev/null | grep -o 'bfy_[A-Za-z0-9_-]*' | head -1)
OFF=$("$B" token create --data "$D" --role officer --buyer MR --label api-test 2>/dev/null | grep -o 'bfy_[A-Za-z0-9_-]*' | head -1)
ADM=$("$B" token create --data "$D" --role admin --label api-test 2>/dev/null | grep -o 'bfy_[A-Za-z0-9_-]*' | head -1)
[ -n "$AUD" ] && [ -n "$OFF" ] && [ -n "$ADM" ]; ok $? "auditor, officer and admin tokens"
"$B" serve --data "$D" --listen 127.0.0.1:0 --rate 0 >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
for _ in $(seq 100); do grep -q "listening on port" "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^listening on port \([0-9]*\).*/\1/p' "$T/serve.out")
U="http://127.0.0.1:$PORT/api/v1"
[ -n "$PORT" ]; ok $? "serve listens on port $PORT"

# ---- change feed ------------------------------------------------------------------
url="$U/releases?limit=97" pages=0
: >"$T/idx"
while [ $pages -lt 100 ]; do
    curl -sf "$url" -o "$T/page.json" || break
    jq -r '.releases[].logIndex' "$T/page.json" >>"$T/idx"
    pages=$((pages + 1))
    [ "$(jq -r .complete "$T/page.json")" = true ] && break
    url=$(jq -r .next "$T/page.json")
done
total=$(q "select count(*) from ocds_release")
[ "$(wc -l <"$T/idx")" = "$total" ] && sort -n -c "$T/idx" 2>/dev/null && [ "$(sort -u "$T/idx" | wc -l)" = "$total" ]
ok $? "feed: $pages pages of 97 give all $total releases once, in log order"
last=$(tail -1 "$T/idx")
curl -sf "$U/releases?after=$last" | jq -e '.releases == [] and .complete and (.next | test("after='"$last"'"))' >/dev/null
ok $? "after the last index: empty page, the cursor stays"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/releases?limit=0")" = 400 ] &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/releases?limit=5000")" = 400 ] &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/releases?after=-1")" = 400 ] &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/releases?after=x")" = 400 ]
ok $? "bad limit / after are 400"

# ---- one release ---------------------------------------------------------------------
row=$(q "select ocid, rid, idx from ocds_release where idx = 100")
ocid=${row%%|*}; rest=${row#*|}; rid=${rest%%|*}; idx=${rest#*|}
curl -s -D "$T/h" "$U/releases/$ocid/$rid" -o "$T/r.json"
[ "$(tr -d '\n' <"$T/r.json")" = "$(store_texts "$D/belfry.db" ocds_release body "idx = 100" | tr -d '\n')" ]
ok $? "GET release returns the logged canonical text"
grep -qi "^X-Belfry-Log-Index: $idx" "$T/h" && grep -qi "^Link: </log/proof/$idx>" "$T/h"; ok $? "log index and receipt link headers"
grep -qi '^Access-Control-Allow-Origin: \*' "$T/h"; ok $? "public CORS"
etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: //p' "$T/h" | tr -d '\r')
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$U/releases/$ocid/$rid")" = 304 ]
ok $? "conditional GET with the ETag is 304"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/log/proof/$idx")" = 200 ]; ok $? "the receipt link works"
[ "$(curl -s -o "$T/e.json" -w '%{http_code}' "$U/releases/$ocid/nope")" = 404 ] &&
    jq -e '.error.status == 404' "$T/e.json" >/dev/null; ok $? "unknown release is a 404 in the error format"

# ---- record ----------------------------------------------------------------------------
curl -sf "$U/records/$ocid" -o "$T/rec.json"
nrel=$(q "select nrel from ocds_record where ocid = '$ocid'")
jq -e --argjson n "$nrel" '(.releases | length) == $n and .compiledRelease.tag == ["compiled"]
    and (.versionedRelease | type) == "object" and ([.releases[] | has("logIndex") and has("sha256") and has("receipt")] | all)' \
    "$T/rec.json" >/dev/null; ok $? "record: $nrel linked releases with index, digest and receipt, compiled and versioned"
jq -e '[.releases[].date] == ([.releases[].date] | sort)' "$T/rec.json" >/dev/null; ok $? "releases in date order"
curl -sf "$U/records?limit=5" | jq -e '(.records | length) == 5 and (.next | test("after="))' >/dev/null
ok $? "record list with a next link"

# ---- withheld values ---------------------------------------------------------------------
w=$(q "select r.ocid || '/' || r.rid from ocds_release r join ocds_sidecar s using (idx) where r.tags like '%award%' limit 1")
curl -sf "$U/releases/$w" -o "$T/pub.json"
jq -e '.awards[0].value.withheld == true and (.awards[0].value | has("value") | not)' "$T/pub.json" >/dev/null
ok $? "public release: withheld marker, no value"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/releases/$w?full=1")" = 401 ]; ok $? "?full=1 without a token: 401"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OFF" "$U/releases/$w?full=1")" = 403 ]
ok $? "?full=1 with an officer token: 403"
curl -s -D "$T/ha" -H "Authorization: Bearer $AUD" "$U/releases/$w?full=1" -o "$T/aud.json"
jq -e '.awards[0].value.value.amount > 0 and (.awards[0].value.salt | length) == 64' "$T/aud.json" >/dev/null &&
    grep -qi '^Cache-Control: private' "$T/ha"; ok $? "auditor sees value and salt, privately cached"
curl -sf "$U/records/${w%%/*}" | grep -q "$(jq -r '.awards[0].value.salt' "$T/aud.json")"; [ $? = 1 ]
ok $? "the salt never appears in the public record"

# ---- export over HTTP ----------------------------------------------------------------------
curl -sf "$U/export?format=release-package" | jq -e --argjson n "$total" '(.releases | length) == $n and .version == "1.1"' >/dev/null
ok $? "export release package ($total releases)"
[ "$(curl -sf "$U/export?format=jsonl&compress=gzip" | gzip -dc | wc -l)" = "$total" ]; ok $? "export JSON Lines, gzip"
curl -sf "$U/export?format=record-package&compress=zstd" | zstd -dc | jq -e --argjson n "$(q 'select count(*) from ocds_record')" \
    '(.records | length) == $n' >/dev/null; ok $? "export record package, zstd"
curl -sf "$U/export?format=csv" -o "$T/main.csv" && head -1 "$T/main.csv" | grep -q '^ocid,id,date,tag'
ok $? "export CSV main table"
curl -sf "$U/export?format=csv&table=tender_items" | head -1 | grep -q 'ocid'; ok $? "export CSV tender_items table"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/export?format=xml")" = 400 ] &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/export?format=csv&table=../etc")" = 400 ] &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/export?format=csv&table=nosuch")" = 404 ]
ok $? "bad export parameters: 400 / 404"
# ---- import into the running server ------------------------------------------------------
"$B" demo --jsonl "$T/more.jsonl" --count 40 --seed 99 2>/dev/null
printf '{"ocid": broken\n' >>"$T/more.jsonl"
# `belfry import` while serve holds the log: the server runs it (admin
# socket), the report and the summary come back; a relative path works
out=$(cd "$T" && "$B" import --data "$D" --quiet more.jsonl 2>"$T/cli-import.err"); rc=$?
[ $rc = 0 ] && [ "$out" = "40 new, 0 already present, 1 rejected" ] && grep -q "^more.jsonl:41:" "$T/cli-import.err" &&
    [ "$(wc -l <"$T/cli-import.err")" = 1 ]
ok $? "belfry import while serve holds the log: the server imports ($out, rc $rc; $(head -c 120 "$T/cli-import.err"))"
out=$("$B" import --data "$D" --strict - <"$T/more.jsonl" 2>"$T/cli-import2.err"); rc=$?
[ $rc = 1 ] && [ "$out" = "0 new, 40 already present, 1 rejected" ] && grep -q "<stdin>:41:" "$T/cli-import2.err"
ok $? "again from stdin, --strict: all present, exit 1 for the rejected line ($out, rc $rc)"
"$B" import --data "$D" "$T/nosuch.jsonl" >/dev/null 2>"$T/cli-import3.err"; rc=$?
[ $rc = 1 ] && grep -q "nosuch.jsonl" "$T/cli-import3.err"; ok $? "a missing file: exit 1, named ($(head -c 100 "$T/cli-import3.err"))"
code=$(curl -s -o "$T/imp2.json" -w '%{http_code}' -H "Authorization: Bearer $ADM" --data-binary @"$T/more.jsonl" "$U/import")
[ "$code" = 200 ] && jq -e '.new == 0 and .present == 40 and .rejected == 1 and (.report[0] | test("<request>:41:"))' \
    "$T/imp2.json" >/dev/null; ok $? "POST /api/v1/import as admin: all present (idempotent): $(head -c 200 "$T/imp2.json")"
[ "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/more.jsonl" "$U/import")" = 401 ] &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AUD" --data-binary @"$T/more.jsonl" "$U/import")" = 403 ]
ok $? "import needs an admin token (401 / 403)"
[ "$(curl -sf "$U/releases?after=$last" | jq '.releases | length')" = 40 ]; ok $? "the imported releases appear in the feed"
echo "1..$n"
