#!/usr/bin/env bash
# ocds_import.sh - `belfry import`, `belfry demo` and `belfry export` end to
# end with the real binary:
#   generated JSON Lines import, idempotent re-import, stdin;
#   kill -9 in the middle of a large import, then `belfry check` passes,
#   the store holds exactly one release per log entry, and importing again
#   completes the set without duplicates;
#   the messy real samples (per-item report lines, empty file, ISO-8859-1,
#   linked releases) and bad input (a 100 MB item, deep nesting, malformed
#   JSON, huge numbers, UTF-16) give clear per-item errors and no crash;
#   exports in every format and compression agree with the store.
set -u
B=${BELFRY:-build/asan/belfry}
REAL=${BELFRY_SHARED:-../shared/data}/ocds/real
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
T=$(mktemp -d)
IPID=
cleanup() { [ -n "$IPID" ] && kill -9 "$IPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
count() { sqlite3 "$1/belfry.db" "select count(*) from ocds_release"; }
entries() { "$B" check --data "$1" 2>/dev/null | sed -n 's/^ok: \([0-9]*\) entries.*/\1/p'; }
. "$(dirname "$0")/lib_store.sh"

# ---- generated data ---------------------------------------------------------
"$B" demo --jsonl "$T/gen.jsonl" --count 3000 --seed 7 2>/dev/null
ok $? "demo --jsonl writes generated releases"
[ "$(wc -l <"$T/gen.jsonl")" = 3000 ]; ok $? "3000 lines"
"$B" init --data "$T/d" --origin belfry.test/ocds >/dev/null 2>&1; ok $? "init"
out=$("$B" import --data "$T/d" "$T/gen.jsonl" 2>"$T/err"); 
[ "$out" = "3000 new, 0 already present, 0 rejected" ]; ok $? "import: $out"
out=$("$B" import --data "$T/d" "$T/gen.jsonl" 2>"$T/err")
[ "$out" = "0 new, 3000 already present, 0 rejected" ]; ok $? "re-import is idempotent: $out"
out=$(head -50 "$T/gen.jsonl" | "$B" import --data "$T/d" - 2>"$T/err")
[ "$out" = "0 new, 50 already present, 0 rejected" ]; ok $? "stdin: $out"
[ "$(count "$T/d")" = 3000 ] && [ "$(entries "$T/d")" = 3000 ]; ok $? "3000 releases, 3000 log entries, check passes"
# packed rows (store_pack.h), read with python3-lz4: every seventh
# body hashes to its stored digest
npacked=$(sqlite3 "$T/d/belfry.db" "select count(*) from ocds_release where typeof(body) = 'blob'")
nrecp=$(sqlite3 "$T/d/belfry.db" "select count(*) from ocds_record where typeof(compiled) = 'blob'")
[ "$npacked" -gt 1000 ] && [ "$nrecp" -gt 10 ] && [ "$(sqlite3 "$T/d/belfry.db" 'select count(*) from store_dict')" = 2 ]
ok $? "rows are packed: $npacked of 3000 release bodies, $nrecp compiled releases, two dictionaries"
# versioned releases are merged by readers, never stored
[ "$(sqlite3 "$T/d/belfry.db" "select count(*) from ocds_record where versioned <> ''")" = 0 ]
ok $? "no record row stores a versioned release"
store_texts "$T/d/belfry.db" ocds_release body "idx % 7 = 0 order by idx" | while read -r body; do
    printf '%s' "$body" | sha256sum | cut -d' ' -f1
done >"$T/body.sha"
sqlite3 "$T/d/belfry.db" "select sha256 from ocds_release where idx % 7 = 0 order by idx" >"$T/col.sha"
[ -s "$T/col.sha" ] && cmp -s "$T/body.sha" "$T/col.sha"
ok $? "bodies unpacked by python3-lz4 hash to their digests ($(wc -l <"$T/col.sha") rows)"
"$B" check --data "$T/d" 2>/dev/null | grep -q '^ok: 3000 releases: each stored text hashes to its digest'
ok $? "belfry check reads every release back against its log entry"
# a store whose rows were changed behind the log's back
tamper() { # NAME SQL: a copy of the store with SQL applied; prints check's exit status and message
    rm -rf "$T/t.$1" && cp -r "$T/d" "$T/t.$1" && sqlite3 "$T/t.$1/belfry.db" "$2" &&
        "$B" check --data "$T/t.$1" --quiet 2>"$T/t.$1.err"
    echo "$? $(cat "$T/t.$1.err")"
}
pidx=$(sqlite3 "$T/d/belfry.db" "select idx from ocds_release where typeof(body) = 'blob' order by idx desc limit 1")
prid=$(sqlite3 "$T/d/belfry.db" "select rid from ocds_release where idx = $pidx")
out=$(tamper packed "update ocds_release set body = substr(body, 1, length(body) - 40) || x'41' || substr(body, length(body) - 38) where idx = $pidx")
case $out in "1 "*"$prid"*) true ;; *) false ;; esac; ok $? "a changed byte in a packed body: check fails naming it (${out:0:170})"
out=$(tamper plain "update ocds_release set body = replace(body, '\"tender\"', '\"Tender\"') where idx = 1")
case $out in "1 "*"hashes to"*) true ;; *) false ;; esac; ok $? "a changed plain body: check fails (${out:0:170})"
new=$(sqlite3 "$T/d/belfry.db" "select body from ocds_release where idx = 1" | sed 's/"tender"/"Tender"/g' | tr -d '\n' | sha256sum | cut -d' ' -f1)
out=$(tamper both "update ocds_release set body = replace(body, '\"tender\"', '\"Tender\"'), sha256 = '$new' where idx = 1")
case $out in "1 "*"is not the log's"*) true ;; *) false ;; esac; ok $? "a changed body with its digest changed to match: the log entry disagrees (${out:0:170})"
out=$(tamper gone "delete from ocds_release where idx = 1500")
case $out in "1 "*"log entry 1500 is release"*"does not hold"*) true ;; *) false ;; esac; ok $? "a release row deleted: its log entry is found without it (${out:0:170})"
out=$(tamper last "delete from ocds_release where idx = (select max(idx) from ocds_release)")
case $out in "1 "*"does not hold"*) true ;; *) false ;; esac; ok $? "the last release row deleted: found too (${out:0:120})"

# ---- crash in the middle ------------------------------------------------------
"$B" demo --jsonl "$T/big.jsonl" --count 40000 --seed 9 2>/dev/null
"$B" init --data "$T/k" --origin belfry.test/crash >/dev/null 2>&1
"$B" import --data "$T/k" --batch 256 "$T/big.jsonl" >/dev/null 2>&1 &
IPID=$!
for _ in $(seq 200); do
    c=$(sqlite3 "$T/k/belfry.db" "select count(*) from ocds_release" 2>/dev/null || echo 0)
    [ "${c:-0}" -gt 2000 ] && break
    sleep 0.05
done
kill -9 "$IPID" 2>/dev/null; wait "$IPID" 2>/dev/null; IPID=
c1=$(count "$T/k"); e1=$(entries "$T/k")
[ -n "$e1" ] && [ "$c1" = "$e1" ] && [ "$c1" -lt 40000 ]
ok $? "killed mid-import: check passes, $c1 releases == $e1 log entries (no half item)"
out=$("$B" import --data "$T/k" "$T/big.jsonl" 2>/dev/null)
echo "$out" | grep -q "^$((40000 - c1)) new, $c1 already present, 0 rejected$"
ok $? "re-import resumes: $out"
[ "$(count "$T/k")" = 40000 ] && [ "$(entries "$T/k")" = 40000 ]; ok $? "40000 releases, 40000 entries after resuming"
dups=$(sqlite3 "$T/k/belfry.db" "select count(*) from (select ocid, rid from ocds_release group by 1,2 having count(*)>1)")
[ "$dups" = 0 ]; ok $? "no duplicate releases"

# ---- the messy real samples -------------------------------------------------------
if [ -d "$REAL" ]; then
    out=$("$B" import --data "$T/d" "$REAL" 2>"$T/real.err"); rc=$?
    [ $rc = 0 ] && echo "$out" | grep -Eq '^[1-9][0-9]* new, [0-9]+ already present, [1-9][0-9]* rejected$'
    ok $? "real samples: $out"
    grep -q '283826-EMPTY.json:1: byte 0: #: rejected: empty file' "$T/real.err"; ok $? "empty file reported"
    grep -q 'encoding-iso-8859-1.json.*note: not valid UTF-8.*ISO-8859-1' "$T/real.err"; ok $? "ISO-8859-1 transcoded and said so"
    grep -q "#/releases/0: rejected: /tag/3: 'bid' is not in the closed codelist" "$T/real.err"
    ok $? "a bad tag is reported with file, position and pointer"
    grep -q 'immutable' "$T/real.err"; ok $? "a reused release id with other content is reported"
    out2=$("$B" import --data "$T/d" "$REAL" 2>/dev/null)
    new2=${out2%% new*}; rej1=${out##*present, }; rej2=${out2##*present, }
    [ "$new2" = 0 ] && [ "$rej1" = "$rej2" ]; ok $? "real samples again: $out2"
else
    for _ in 1 2 3 4 5 6; do skip "no shared data ($REAL)"; done
fi

# ---- bad input ----------------------------------------------------------------------
python3 - "$T" <<'EOF'
import sys
t = sys.argv[1]
with open(t + "/huge.json", "w") as f:
    f.write('{"ocid":"ocds-b3lfry-X","id":"1","date":"2024-01-01T00:00:00Z","tag":["tender"],"initiationType":"tender","big":"')
    f.write("a" * (100 << 20))
    f.write('"}')
open(t + "/deep.json", "w").write("[" * 100000 + "]" * 100000)
open(t + "/bad.jsonl", "w").write('{"ocid":"ocds-b3lfry-Y","id":"1","date":"2024-01-01T00:00:00Z","tag":["tender"],"initiationType":"tender"}\n'
                                  '{"ocid":"ocds-b3lfry-Y","id":"2",\n'
                                  '{"ocid":"ocds-b3lfry-Y","id":"3","x":1e999}\n'
                                  '{"ocid":"ocds-b3lfry-Y","id":"4","x":123456789012345678901234567890}\n')
open(t + "/utf16.json", "wb").write('{"ocid":"x"}'.encode("utf-16"))
EOF
before=$(count "$T/d")
out=$("$B" import --data "$T/d" "$T/huge.json" 2>"$T/e1"); rc=$?
[ $rc = 0 ] && grep -q 'huge.json:1: byte 0: #: rejected: .*exceeds the item limit of' "$T/e1"; ok $? "100 MB item: $(head -c 150 "$T/e1")"
out=$("$B" import --data "$T/d" "$T/deep.json" 2>"$T/e2"); rc=$?
[ $rc = 0 ] && grep -q 'nesting deeper than 64' "$T/e2"; ok $? "deep nesting: $(head -c 150 "$T/e2")"
out=$("$B" import --data "$T/d" "$T/bad.jsonl" 2>"$T/e3"); rc=$?
[ $rc = 0 ] && [ "$out" = "1 new, 0 already present, 3 rejected" ] && grep -q 'bad.jsonl:2:.*invalid JSON' "$T/e3" &&
    grep -q 'bad.jsonl:3:.*real number overflow' "$T/e3" && grep -q 'bad.jsonl:4:.*too big integer' "$T/e3"
ok $? "malformed line and huge numbers rejected line by line: $out"
out=$("$B" import --data "$T/d" "$T/utf16.json" 2>"$T/e4"); grep -q 'UTF-16' "$T/e4"; ok $? "UTF-16: $(cat "$T/e4")"
[ "$(count "$T/d")" = $((before + 1)) ] && [ "$(entries "$T/d")" = "$(count "$T/d")" ]
ok $? "bad input wrote nothing but the one good release"
"$B" import --data "$T/none" "$T/bad.jsonl" >/dev/null 2>"$T/e5"; [ $? = 1 ] && grep -q "belfry init" "$T/e5"
ok $? "no store: $(cat "$T/e5")"

# ---- exports ----------------------------------------------------------------------------
total=$(count "$T/d")
"$B" export --data "$T/d" --format release-package --out "$T/rp.json" 2>/dev/null &&
    [ "$(jq '.releases | length' "$T/rp.json")" = "$total" ]; ok $? "release package has all $total releases"
"$B" export --data "$T/d" --format record-package --compress gzip --out "$T/rec.json.gz" 2>/dev/null &&
    [ "$(gzip -dc "$T/rec.json.gz" | jq '.records | length')" = "$(sqlite3 "$T/d/belfry.db" 'select count(*) from ocds_record')" ]
ok $? "gzip record package has every record"
[ "$("$B" export --data "$T/d" --format jsonl --compress zstd 2>/dev/null | zstd -dc | wc -l)" = "$total" ]
ok $? "zstd JSON Lines to stdout"
rows() { python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="", encoding="utf-8"))) - 1)' "$1"; }
"$B" export --data "$T/d" --format csv --out "$T/csv" 2>/dev/null && [ "$(rows "$T/csv/main.csv")" = "$total" ]
ok $? "CSV main table has one row per release"
sha=$(jq -cS '.releases[0]' "$T/rp.json" >/dev/null; sqlite3 "$T/d/belfry.db" "select sha256 from ocds_release order by idx limit 1")
body=$(store_texts "$T/d/belfry.db" ocds_release body "idx = (select min(idx) from ocds_release)" | tr -d '\n' | sha256sum | cut -d' ' -f1)
[ "$sha" = "$body" ]; ok $? "stored digest is SHA-256 of the stored canonical text"
"$B" export --data "$T/d" --format nonsense >/dev/null 2>&1; [ $? = 1 ]; ok $? "unknown format is refused"
echo "1..$n"
