#!/usr/bin/env bash
# ledger_badinput.sh - bad input to the log's commands and endpoints gets
# a clear error and loses nothing (no shared data needed):
#   init: missing options, bad origin, existing log, key/origin mismatch;
#   log append: empty lines, over-long lines (also without a newline at
#   the end), --remote without a server, a store that does not exist;
#   a second writer while one holds the lock goes through the server;
#   serve: malformed tile paths (400) and tiles beyond the size (404);
#   check: a tampered entry (named by index), a torn store file and a
#   flipped header (clear errors from check and from append).
. "$(dirname "$0")/lib.sh"
D=$T/d

"$B" init --data "$D" >/dev/null 2>&1; [ $? = 2 ]; ok $? "init without --origin is a usage error (exit 2)"
out=$("$B" init --data "$D" --origin 'bad origin' 2>&1); [ $? = 1 ] && echo "$out" | grep -q "not valid"
ok $? "init with a space in the origin: $out"
"$B" init --data "$D" --origin belfry.test/bad >/dev/null 2>&1; ok $? "init"
out=$("$B" init --data "$D" --origin belfry.test/bad 2>&1); [ $? = 1 ] && echo "$out" | grep -q "already has a log"
ok $? "a second init refuses to touch the log: $out"
echo "$TESSERA_SKEY" >"$T/key"
out=$("$B" init --data "$T/d2" --origin other.test/log --key-file "$T/key" 2>&1); [ $? = 1 ] && echo "$out" | grep -q "must be equal"
ok $? "key name and origin must match: $out"
out=$("$B" log append --data "$T/none" </dev/null 2>&1); [ $? = 1 ] && echo "$out" | grep -q "belfry init"
ok $? "append to a missing store says to run init: $out"

{ printf 'a\n\nb\n'; head -c 70000 /dev/zero | tr '\0' x; printf '\nc\n'; head -c 65536 /dev/zero | tr '\0' y; } >"$T/in"
out=$("$B" log append --data "$D" <"$T/in" 2>"$T/err"); rc=$?
[ $rc = 1 ] && [ "$out" = "$(printf '0\n1\n2')" ]; ok $? "good lines appended (0, 1, 2), exit 1 for the bad ones"
grep -q "line 2: empty entry rejected" "$T/err" && grep -q "line 4: entry longer than 65535" "$T/err" &&
    grep -q "line 6: entry longer than 65535" "$T/err"
ok $? "each bad line is named: $(tr '\n' ';' <"$T/err")"
head -c 65535 /dev/zero | tr '\0' z | "$B" log append --data "$D" >"$T/o" 2>&1; ok $? "a 65 535-byte entry without a final newline is accepted (index $(cat "$T/o"))"
out=$(echo x | "$B" log append --remote --data "$D" 2>&1); [ $? = 1 ] && echo "$out" | grep -q "admin socket"
ok $? "--remote without a server: $out"
before=$("$B" log checkpoint --data "$D" | sed -n 2p)
seq 1 3000 | sed 's/^/first /' | "$B" log append --data "$D" >"$T/c1" 2>"$T/c1.err" & c1=$!
seq 1 3000 | sed 's/^/second /' | "$B" log append --data "$D" >"$T/c2" 2>"$T/c2.err" & c2=$!
wait $c1; r1=$?; wait $c2; r2=$?
after=$("$B" log checkpoint --data "$D" | sed -n 2p)
[ $r1 = 0 ] && [ $r2 = 0 ] && [ $((after - before)) = 6000 ] && [ "$(sort -n "$T/c1" "$T/c2" | uniq | wc -l)" = 6000 ]
ok $? "two appends without a server: the second waits for the first's lock, all 6000 indexes distinct ($r1 $r2 $(cat "$T/c1.err" "$T/c2.err"))"

start_serve "$D" "$T/serve.out" "$T/serve.err" --rate 0
U=$U/log
out=$(printf 'd\ne\n' | "$B" log append --data "$D" 2>&1); ok $? "while the server holds the lock, append goes through it ($(echo $out))"
"$B" serve --data "$D" --listen 127.0.0.1:0 >"$T/s2.out" 2>&1; [ $? = 1 ] && grep -q "another belfry process" "$T/s2.out"
ok $? "a second server on the same store is refused: $(tail -1 "$T/s2.out")"
code() { curl -s -o /dev/null -w '%{http_code}' "$U/$1"; }
bad=0
for p in tile/0/1 tile/0/x1/000 tile/0/000.p/300 tile/0/000.p/abc tile/99/000 tile/entries/ tile/ tile/0 \
         tile/0/000.p/1/extra tile/0/x000/001 tile/00/000; do
    c=$(code "$p"); [ "$c" = 400 ] || { echo "# $p gave $c"; bad=$((bad + 1)); }
done
ok $bad "malformed tile paths are 400"
size=$(curl -s "$U/checkpoint" | sed -n 2p); w=$((size % 256)); t=$(printf %03d $((size / 256)))
[ "$(code "tile/0/$t.p/$w")" = 200 ] && [ "$(code "tile/0/$t.p/$((w + 1))")" = 404 ] &&
    [ "$(code "tile/entries/$t.p/$w")" = 200 ] && [ "$(code "tile/0/$t")" = 404 ] && [ "$(code tile/2/000.p/1)" = 404 ]
ok $? "at size $size: tile $t.p/$w is 200, wider, full or higher ones 404"
stop_serve

"$B" check --data "$D" >/dev/null 2>&1; ok $? "check passes before tampering"
"$B" check --data "$D" --vkey "$("$B" log key --data "$D")" >/dev/null 2>&1; ok $? "check --vkey with the log's own key passes"
out=$("$B" check --data "$D" --vkey 'other.test/log+12345678+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx' 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "not other.test"; ok $? "check --vkey with another key fails: $out"
python3 - "$D/belfry.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE log_entry SET data = CAST('B' AS BLOB) WHERE idx = 1")
db.commit()
EOF
out=$("$B" check --data "$D" 2>&1); [ $? = 1 ] && echo "$out" | grep -q "entry 1 was altered"
ok $? "check detects a tampered entry: $(echo "$out" | grep altered)"

cp -r "$D" "$T/torn"
sz=$(stat -c %s "$T/torn/belfry.db"); truncate -s $((sz / 2)) "$T/torn/belfry.db"
out=$("$B" check --data "$T/torn" 2>&1); [ $? = 1 ] && echo "$out" | grep -qi "malformed\|damaged\|corrupt\|missing"
ok $? "check reports a torn store: $(echo "$out" | tail -1)"
out=$(echo z | "$B" log append --data "$T/torn" 2>&1); [ $? = 1 ] && echo "$out" | grep -qi "malformed\|damaged\|corrupt\|missing"
ok $? "append refuses the torn store: $(echo "$out" | tail -1)"
printf 'XXXXXXXXXXXXXXXX' | dd of="$T/torn/belfry.db" conv=notrunc 2>/dev/null
out=$("$B" check --data "$T/torn" 2>&1); [ $? = 1 ] && echo "$out" | grep -q "not a database"
ok $? "check on a flipped header: $(echo "$out" | tail -1)"
out=$(echo z | "$B" log append --data "$T/torn" 2>&1); [ $? = 1 ] && echo "$out" | grep -q "not a database"
ok $? "append on a flipped header: $(echo "$out" | tail -1)"
done_testing
