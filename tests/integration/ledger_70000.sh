#!/usr/bin/env bash
# ledger_70000.sh - the tlog-tiles spec's 70 000-entry layout over HTTP:
# leaves "leaf 0".."leaf 69999" appended through `belfry log append` (the
# admin socket of a running `belfry serve`) in runs that end at the sizes
# c2sp-70000/ has checkpoints for; after each run /log/checkpoint must be
# byte-identical to checkpoint.N, and at the end every tile and bundle
# file of c2sp-70000/tile (full tiles and the multi-level partials of all
# eight sizes) must be served byte for byte.
. "$(dirname "$0")/lib.sh"
D=$SHARED/tlog/c2sp-70000
[ -d "$D" ] || skip_all "no shared data ($D)"

echo "$TESSERA_SKEY" >"$T/key"
"$B" init --data "$T/d" --key-file "$T/key" >/dev/null 2>&1; ok $? "init with the tessera key"
start_serve "$T/d" "$T/serve.out" "$T/serve.err" --rate 0
U=$U/log

at=0 cps=0 idx_ok=0
for size in 1 255 256 257 1000 65536 65537 70000; do
    seq "$at" $((size - 1)) | sed 's/^/leaf /' | "$B" log append --data "$T/d" >"$T/idx" 2>"$T/err"
    # each line's printed index is its leaf number
    [ "$(head -1 "$T/idx")" = "$at" ] && [ "$(tail -1 "$T/idx")" = $((size - 1)) ] &&
        [ "$(wc -l <"$T/idx")" = $((size - at)) ] && idx_ok=$((idx_ok + 1))
    at=$size
    curl -sf "$U/checkpoint" -o "$T/cp" && cmp -s "$T/cp" "$D/checkpoint.$size" && cps=$((cps + 1))
done
ok $([ $idx_ok = 8 ]; echo $?) "log append printed the expected indexes for all 8 runs ($idx_ok)"
ok $([ $cps = 8 ]; echo $?) "checkpoints at 1, 255, 256, 257, 1000, 65536, 65537, 70000 identical ($cps of 8)"

python3 - "$D" "$U" <<'EOF' >"$T/tiles.out"
import os, sys, urllib.request
base, url = sys.argv[1], sys.argv[2]
files = same = 0
for root, _, names in os.walk(os.path.join(base, "tile")):
    for name in names:
        path = os.path.join(root, name)
        rel = os.path.relpath(path, base)
        files += 1
        req = urllib.request.Request(url + "/" + rel, headers={"Accept-Encoding": "identity"})
        try:
            got = urllib.request.urlopen(req).read()
        except Exception as e:
            print("# %s: %s" % (rel, e))
            continue
        if got == open(path, "rb").read():
            same += 1
        else:
            print("# differs: %s" % rel)
print(files, same)
EOF
read -r files same < <(tail -1 "$T/tiles.out")
grep '^#' "$T/tiles.out" | head -5
ok $([ "${files:-0}" -gt 500 ] && [ "$files" = "$same" ]; echo $?) "all ${files:-0} tile and bundle files served identically (${same:-0})"
"$B" check --data "$T/d" >"$T/check" 2>&1; ok $? "belfry check while the server runs: $(tail -1 "$T/check")"
done_testing
