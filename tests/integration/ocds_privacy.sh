#!/usr/bin/env bash
# ocds_privacy.sh - no personal data on a public path, and the withheld-
# field key stays private. A store holds `belfry demo` (generated
# procedures + the real samples) and a `belfry import` of every real
# sample, whose parties, buyers, procuring entities, tenderers and
# suppliers carry officials' names, e-mails and phone numbers in their
# contact points. Then no public response - every release of the change
# feed, every release and record read, the HTTP and CLI exports in every
# format, search and organisation pages - contains an e-mail address; the
# contact points are withheld markers with reason personalData and no
# disclosure date; an auditor (?full=1) still reads them; and the key in
# <data>/ocds/withheld.key is mode 0600, never served and in no response.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_store.sh"
REAL=$SHARED/ocds/real
[ -d "$REAL" ] || skip_all "no $REAL"
EMAIL='[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}'
D=$T/d
# Every public text collected goes to $T/public/; each file is checked.
mkdir -p "$T/public"
get() { # NAME URL: public GET into $T/public/NAME; prints the status
    curl -s -o "$T/public/$1" -w '%{http_code}' "$2"
}
emails_in() { grep -rlE "$EMAIL" "$@" 2>/dev/null | head -3; }

grep -rqE "$EMAIL" "$REAL"; ok $? "the real samples hold e-mail addresses ($(grep -rhoE "$EMAIL" "$REAL" | sort -u | wc -l) distinct)"
"$B" init --data "$D" --origin belfry.test/privacy >/dev/null 2>"$T/init.err"; ok $? "init"
BELFRY_SHARED=$SHARED "$B" demo --data "$D" --count 60 --seed 5 --quiet >/dev/null 2>"$T/demo.err"; ok $? "belfry demo"
"$B" import --data "$D" "$REAL" >"$T/import.out" 2>"$T/import.err"
nall=$(sqlite3 "$D/belfry.db" 'select count(*) from ocds_release')
[ "$nall" -gt 80 ]; ok $? "60 generated releases and the real samples: $nall releases ($(tail -1 "$T/import.out"))"
npriv=$(sqlite3 "$D/belfry.db" "select count(*) from ocds_sidecar where body like '%@%'")
[ "$npriv" -gt 0 ]; ok $? "contact points are kept privately ($npriv sidecars hold e-mail addresses)"
# the rows as stored, packed ones unpacked by python3-lz4
store_texts "$D/belfry.db" ocds_release body >"$T/rows.rel"
store_texts "$D/belfry.db" ocds_record compiled >"$T/rows.rec"
npacked=$(sqlite3 "$D/belfry.db" "select count(*) from ocds_release where typeof(body) = 'blob'")
[ "$(wc -l <"$T/rows.rel")" = "$nall" ] && ! grep -q UNPACK-FAILED "$T/rows.rel" "$T/rows.rec"
ok $? "every public row reads back ($npacked of $nall release bodies packed, unpacked by python3-lz4)"
npub=$(grep -c '@' "$T/rows.rel")
nrec=$(grep -c '@' "$T/rows.rec")
[ "$npub" = 0 ] && [ "$nrec" = 0 ]; ok $? "no public release or record row holds an '@' ($npub, $nrec)"
KEY=$D/ocds/withheld.key
[ "$(stat -c %a "$KEY")" = 600 ] && [ "$(stat -c %s "$KEY")" = 32 ]; ok $? "withheld.key: 32 bytes, mode 0600"
KEYHEX=$(od -An -tx1 "$KEY" | tr -d ' \n')
KEYB64=$(base64 -w0 <"$KEY")
AUD=$("$B" token create --data "$D" --role auditor --label privacy 2>/dev/null | grep -o 'bfy_[A-Za-z0-9_-]*' | head -1)
[ -n "$AUD" ]; ok $? "auditor token"

# CLI exports
for f in release-package record-package jsonl; do
    "$B" export --data "$D" --format $f --out "$T/public/cli.$f" 2>>"$T/export.err"
done
"$B" export --data "$D" --format csv --out "$T/public/csv" 2>>"$T/export.err"
[ -s "$T/public/cli.release-package" ] && [ -s "$T/public/cli.record-package" ] && [ -n "$(ls "$T/public/csv")" ]
ok $? "CLI exports written (release and record package, JSON Lines, CSV)"

start_serve "$D" "$T/serve.out" "$T/serve.err" --rate 0
[ -n "$PORT" ]; ok $? "serve listens on port $PORT"
A=$U/api/v1

# the change feed, every release and every record
url="$A/releases?limit=200"
pages=0
: >"$T/ids"
while [ $pages -lt 200 ]; do
    [ "$(get feed.$pages "$url")" = 200 ] || break
    jq -r '.releases[] | "\(.ocid)\t\(.id)\t\(.logIndex)"' "$T/public/feed.$pages" >>"$T/ids"
    pages=$((pages + 1))
    [ "$(jq -r .complete "$T/public/feed.$((pages - 1))")" = true ] && break
    url=$(jq -r .next "$T/public/feed.$((pages - 1))")
    case $url in http*) ;; *) url=$U$url ;; esac
done
nrel=$(wc -l <"$T/ids")
[ "$nrel" = "$(sqlite3 "$D/belfry.db" 'select count(*) from ocds_release')" ]; ok $? "the change feed lists all $nrel releases"
bad=0 i=0
while IFS=$'\t' read -r ocid id _; do
    i=$((i + 1))
    e=$(jq -rn --arg s "$ocid" '$s|@uri')/$(jq -rn --arg s "$id" '$s|@uri')
    [ "$(get rel.$i "$A/releases/$e")" = 200 ] || bad=$((bad + 1))
done <"$T/ids"
[ $bad = 0 ]; ok $? "every release read publicly ($i, $bad failed)"
bad=0 i=0
cut -f1 "$T/ids" | sort -u >"$T/ocids"
while read -r ocid; do
    i=$((i + 1))
    [ "$(get rec.$i "$A/records/$(jq -rn --arg s "$ocid" '$s|@uri')")" = 200 ] || bad=$((bad + 1))
done <"$T/ocids"
[ $bad = 0 ]; ok $? "every record read publicly ($i, $bad failed)"

# HTTP exports
for f in release-package record-package jsonl csv; do
    [ "$(get http.$f "$A/export?format=$f")" = 200 ] || echo "# export $f failed" >&2
done
[ -s "$T/public/http.release-package" ] && [ -s "$T/public/http.csv" ]; ok $? "HTTP exports read"

# search and organisation pages (the index is built in the background)
prev=-1
for _ in $(seq 100); do # until the count is non-zero and stable
    get search.all "$A/search?per_page=100" >/dev/null
    cur=$(jq -r '.total // 0' "$T/public/search.all" 2>/dev/null)
    [ "${cur:-0}" -gt 0 ] && [ "$cur" = "$prev" ] && break
    prev=${cur:-0}
    sleep 0.3
done
[ "$(jq -r '.total // 0' "$T/public/search.all")" -gt 0 ]; ok $? "search indexed $(jq -r '.total // 0' "$T/public/search.all") procedures"
# search for the words of every real contact point (names, mailbox, domain)
grep -rhoE "$EMAIL" "$REAL" | sort -u | head -40 | tr '@.' '  ' | tr ' ' '\n' | grep -E '^[A-Za-z]{4,}$' | sort -u >"$T/words"
grep -rhoE '"contactPoint" *: *\{[^}]*"name" *: *"[^"]*"' "$REAL" | sed 's/.*"name" *: *"\([^"]*\)"/\1/' |
    tr ' ' '\n' | grep -E '^[A-Za-z]{4,}$' | sort -u | head -40 >>"$T/words"
i=0 bad=0
while read -r w; do
    i=$((i + 1))
    [ "$(get search.w$i "$A/search?q=$w")" = 200 ] || bad=$((bad + 1))
    [ "$(get org.w$i "$A/organisations?q=$w")" = 200 ] || bad=$((bad + 1))
done <"$T/words"
[ $i -gt 10 ] && [ $bad = 0 ]; ok $? "searched procedures and organisations for $i words of the real contact points ($bad failed)"

# the checks
leaks=$(emails_in "$T/public")
[ -z "$leaks" ]; ok $? "no e-mail address in any public response or export${leaks:+: $leaks}"
grep -rhoE '"reason":"personalData"' "$T/public"/rel.* | head -1 | grep -q personalData
ok $? "public releases carry personalData markers"
jq -e '[.. | objects | select(.reason? == "personalData" and .withheld? == true)] | length > 0 and all(has("disclosureDate") | not)' \
    -s "$T"/public/rel.* >/dev/null
ok $? "personalData markers have no disclosure date"
grep -lE "$KEYHEX|$KEYB64" -r "$T/public" >/dev/null; [ $? = 1 ]; ok $? "the withheld key (hex, base64) is in no public response"

# the auditor still sees the contact points
line=$(grep -l personalData "$T"/public/rel.* | head -1)
ocid=$(jq -r .ocid "$line") id=$(jq -r .id "$line")
e=$(jq -rn --arg s "$ocid" '$s|@uri')/$(jq -rn --arg s "$id" '$s|@uri')
s=$(curl -s -o "$T/aud" -w '%{http_code}' -H "Authorization: Bearer $AUD" "$A/releases/$e?full=1")
[ "$s" = 200 ] && jq -e '[.. | objects | select(.reason? == "personalData") | .value] | length > 0' "$T/aud" >/dev/null
ok $? "an auditor reads the contact points of $id (?full=1: $s)"
s=$(curl -s -o "$T/anon" -w '%{http_code}' "$A/releases/$e?full=1")
[ "$s" = 401 ] && ! grep -qE "$EMAIL" "$T/anon"; ok $? "?full=1 without a token: 401, no e-mail ($s)"

# the key file is not served, whatever the path
bad=0
for p in /ocds/withheld.key /withheld.key /../ocds/withheld.key /%2e%2e/ocds/withheld.key /static/../ocds/withheld.key \
    /api/v1/../../ocds/withheld.key /ocds/; do
    s=$(curl -s --path-as-is -o "$T/k" -w '%{http_code}' "$U$p")
    if [ "$s" = 200 ] && { cmp -s "$T/k" "$KEY" || grep -qE "$KEYHEX" "$T/k"; }; then bad=$((bad + 1)); fi
done
[ $bad = 0 ]; ok $? "withheld.key is not served under any path"
! grep -qE "$KEYHEX|$KEYB64" "$T/serve.out" "$T/serve.err" "$T"/*.err "$T/import.out"; ok $? "nor logged"

stop_serve; ok $? "serve stops cleanly"
server_clean "$T/serve.err"; ok $? "no sanitizer report"
done_testing
