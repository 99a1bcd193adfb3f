#!/usr/bin/env bash
# verify_receipt.sh - `belfry verify` on the tessera tlog-proof receipt
# (leaf index 6 "seven" in the 15-leaf test log): accepted with the entry
# and with its leaf hash; rejected for every tampered copy (proof hash,
# index, size, root, signature), the wrong entry, the wrong key, a missing
# entry, and a witness requirement the receipt does not meet.
. "$(dirname "$0")/lib.sh"
R=$SHARED/tlog/tessera-index6-size15.tlog-proof
V=$TESSERA_VKEY
[ -f "$R" ] || skip_all "no shared data ($R)"
printf seven >"$T/entry"
printf six >"$T/wrong"

out=$("$B" verify --vkey "$V" --entry "$T/entry" "$R" 2>&1); rc=$?
ok $rc "accepts the tessera receipt with entry \"seven\""
echo "$out" | grep -q "^OK: entry 6 is included in example.com/log/testdata at tree size 15"; ok $? "reports index, origin and size"
leaf=$(echo "$out" | awk '/leaf hash/ {print $3}')
"$B" verify --vkey "$V" --leaf-hash "$leaf" "$R" >/dev/null 2>&1; ok $? "accepts the reported leaf hash"

reject() { # name, file, [entry]
    local out rc
    out=$("$B" verify --vkey "$V" --entry "${3:-$T/entry}" "$2" 2>&1); rc=$?
    if [ $rc = 1 ] && echo "$out" | grep -q "NOT VERIFIED\|not a valid receipt"; then ok 0 "rejects $1"; else ok 1 "rejects $1 (rc=$rc: $out)"; fi
}
reject "the wrong entry" "$R" "$T/wrong"
sed '3s/^T/U/' "$R" >"$T/p1"; reject "a changed proof hash" "$T/p1"
sed 's/^index 6$/index 5/' "$R" >"$T/p2"; reject "a changed index" "$T/p2"
sed 's/^index 6$/index 15/' "$R" >"$T/p2b"; reject "an index beyond the tree" "$T/p2b"
sed '0,/^15$/s//16/' "$R" >"$T/p3"; reject "an edited tree size" "$T/p3"
sed 's/^rKbDipCvhu/rKbDipCvhv/' "$R" >"$T/p4"; reject "an edited root" "$T/p4"
sed '$s/M9e0luh4jTG/M9e0luh4jTH/' "$R" >"$T/p5"; reject "a corrupted signature" "$T/p5"
sed '4d' "$R" >"$T/p6"; reject "a proof with a hash removed" "$T/p6"
sed '1s/v1/v2/' "$R" >"$T/p7"; reject "a wrong header" "$T/p7"
cmp -s "$R" "$T/p1"; [ $? = 1 ]; ok $? "the tampered copies differ from the original"

out=$("$B" verify --vkey 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW' --entry "$T/entry" "$R" 2>&1); rc=$?
[ $rc = 1 ]; ok $? "rejects the receipt under another log's key"
out=$("$B" verify --vkey "$V" "$R" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "without the entry"; ok $? "without an entry: not verified, says why"
W='witness.example.org+b8a2cf20+BFLN3yikSfFkVAJtrnh/CiY3Zozkoy7clp+P7XB28qUN'
out=$("$B" verify --vkey "$V" --witness "$W" --entry "$T/entry" "$R" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "did not cosign"; ok $? "a required witness that did not cosign fails verification"
"$B" verify --vkey "$V" --witness "$W" --min-witnesses 0 --entry "$T/entry" "$R" >/dev/null 2>&1; ok $? "--min-witnesses 0 accepts it"
"$B" verify --vkey "$V" >/dev/null 2>&1; [ $? = 2 ]; ok $? "missing receipt: usage error (exit 2)"
done_testing
