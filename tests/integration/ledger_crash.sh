#!/usr/bin/env bash
# ledger_crash.sh - crash safety of the running log.
#
# A `belfry serve` is SIGKILLed again and again (and restarted) while
# several `belfry log append --remote` clients append through its admin
# socket and a poller keeps fetching /log/checkpoint. Afterwards:
#   - every acknowledged entry is in the log at the index it was
#     acknowledged with (read back from the served entry bundles);
#   - the served entry bundles hash to the final checkpoint's root
#     (recomputed independently in Python) and its signature verifies;
#   - every checkpoint ever served verifies, equals the checkpoint stored
#     for its size, and a served consistency proof links it to the final
#     one (verified in Python, RFC 9162 algorithm);
#   - the served size never went backwards;
#   - every receipt served during the run verifies (signature and
#     inclusion of the entry now at that index) against its checkpoint;
#   - `belfry check` recomputes everything and passes.
# This shows process-crash safety (SIGKILL); power loss additionally
# relies on fsync (SQLite synchronous=FULL), which this test cannot cut.
. "$(dirname "$0")/lib.sh"
KILLS=${LEDGER_CRASH_KILLS:-8}
WRITERS=${LEDGER_CRASH_WRITERS:-4}
BG=()
lib_on_exit() { # stop the appenders and the poller; the server, if still up, dies as it did in the run
    touch "$T/stop" "$T/stop_poll"
    for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null
    wait 2>/dev/null
}

VKEY=$("$B" init --data "$T/d" --origin belfry.test/crash 2>/dev/null); ok $? "init"
PORT=$(free_port)
U="http://127.0.0.1:$PORT/log"

start_server() {
    local i
    for i in $(seq 50); do
        "$B" serve --data "$T/d" --listen "127.0.0.1:$PORT" --rate 0 >>"$T/serve.out" 2>>"$T/serve.err" &
        SPID=$!
        for _ in $(seq 400); do
            curl -sf --max-time 1 "$U/checkpoint" -o /dev/null 2>/dev/null && [ -S "$T/d/admin.sock" ] && return 0
            kill -0 "$SPID" 2>/dev/null || break
            sleep 0.05
        done
        kill -9 "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null
        sleep 0.2
    done
    return 1
}

start_server; ok $? "server started on port $PORT"

mkdir "$T/cps" "$T/w" "$T/receipts"
poller() {
    while [ ! -f "$T/stop_poll" ]; do
        if curl -sf --max-time 2 "$U/checkpoint" -o "$T/cp.tmp" 2>/dev/null && [ "$(head -1 "$T/cp.tmp")" = belfry.test/crash ]; then
            s=$(sed -n 2p "$T/cp.tmp")
            echo "$s" >>"$T/sizes.log"
            [ -f "$T/cps/$s" ] || cp "$T/cp.tmp" "$T/cps/$s"
            if [ "$s" -gt 0 ]; then # and a receipt for some entry, kept for the end
                r=$(((RANDOM * 32768 + RANDOM) % s))
                curl -sf --max-time 2 "$U/proof/$r" -o "$T/receipts/$r" 2>/dev/null || rm -f "$T/receipts/$r"
            fi
        fi
    done
}
writer() { # k
    local k=$1 r=0
    while [ ! -f "$T/stop" ]; do
        r=$((r + 1))
        seq 1 $((20 + RANDOM % 200)) | sed "s/^/writer $k round $r entry /" >"$T/w/in.$k.$r"
        if ! "$B" log append --remote --data "$T/d" <"$T/w/in.$k.$r" >"$T/w/out.$k.$r" 2>"$T/w/err.$k.$r"; then
            echo "$k.$r" >>"$T/interrupted"
            sleep 0.05
        fi
    done
}
poller & BG+=($!)
for k in $(seq "$WRITERS"); do writer "$k" & BG+=($!); done

restarts=0
for i in $(seq "$KILLS"); do
    sleep "0.$((3 + RANDOM % 7))"
    kill -9 "$SPID"; wait "$SPID" 2>/dev/null
    start_server && restarts=$((restarts + 1))
done
sleep 0.5
touch "$T/stop"
for p in "${BG[@]:1}"; do wait "$p"; done
touch "$T/stop_poll"; wait "${BG[0]}"
BG=()
ok $([ $restarts = "$KILLS" ]; echo $?) "server SIGKILLed and restarted $KILLS times during appends ($restarts)"

# acknowledged (index, entry) pairs: the k-th printed index is the k-th line
: >"$T/acked"
for f in "$T"/w/in.*; do
    o=${f/in./out.}
    c=$(wc -l <"$o")
    [ "$c" -gt 0 ] && paste -d '\t' "$o" <(head -n "$c" "$f") >>"$T/acked"
done
acked=$(wc -l <"$T/acked")
inter=$(sort -u "$T/interrupted" 2>/dev/null | wc -l)
ok $([ "$acked" -gt 100 ]; echo $?) "$acked entries acknowledged; $inter client runs were cut off by a kill"
ok $([ "$(sort -n "$T/sizes.log" | uniq | wc -l)" -gt 3 ]; echo $?) "the poller saw $(sort -u "$T/sizes.log" | wc -l) distinct checkpoints"
sort -c -n "$T/sizes.log" 2>/dev/null; ok $? "the served checkpoint size never went backwards ($(wc -l <"$T/sizes.log") polls)"

cat >"$T/verify.py" <<'EOF'
import base64, hashlib, os, sys, urllib.request
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

url, vkey, cpdir, acked_path, rcdir = sys.argv[1:6]
name, keyid, key = vkey.split("+", 2)
raw = base64.b64decode(key)
pub = Ed25519PublicKey.from_public_bytes(raw[1:])
kid = bytes.fromhex(keyid)

def get(path):
    req = urllib.request.Request(url + path, headers={"Accept-Encoding": "identity"})
    return urllib.request.urlopen(req, timeout=30).read()

def check_note(note):
    text, sigs = note.rsplit(b"\n\n", 1)
    text += b"\n"
    good = False
    for line in sigs.decode().splitlines():
        _, n, b64 = line.split(" ")
        s = base64.b64decode(b64)
        if n == name and s[:4] == kid:
            pub.verify(s[4:], text)
            good = True
    if not good:
        raise Exception("no signature by the log key")
    origin, size, root = text.decode().split("\n")[:3]
    if origin != name:
        raise Exception("origin " + origin)
    return int(size), base64.b64decode(root)

def leaf(e): return hashlib.sha256(b"\0" + e).digest()
def node(l, r): return hashlib.sha256(b"\1" + l + r).digest()
def mth(h):
    if not h: return hashlib.sha256(b"").digest()
    if len(h) == 1: return h[0]
    k = 1
    while k * 2 < len(h): k *= 2
    return node(mth(h[:k]), mth(h[k:]))

def verify_consistency(m, n, r1, r2, proof):
    if m == n: return not proof and r1 == r2
    if not proof: return False
    if m & (m - 1) == 0: proof = [r1] + proof
    fn, sn = m - 1, n - 1
    while fn & 1: fn >>= 1; sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            fr = node(c, fr); sr = node(c, sr)
            if not fn & 1:
                while fn and not fn & 1: fn >>= 1; sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1; sn >>= 1
    return fr == r1 and sr == r2 and sn == 0

final = get("/checkpoint")
size, root = check_note(final)
entries = []
for t in range((size + 255) // 256):
    w = min(256, size - t * 256)
    if t >= 1000: raise Exception("test log too large for this reader")
    path = "/tile/entries/%03d" % t
    if w < 256: path += ".p/%d" % w
    b = get(path); i = 0
    while i < len(b):
        l = b[i] << 8 | b[i + 1]; entries.append(b[i + 2:i + 2 + l]); i += 2 + l
print("ok" if len(entries) == size else "bad", "entries", len(entries), "size", size)
print("ok" if mth([leaf(e) for e in entries]) == root else "bad", "root recomputed from the served bundles")
print("ok" if len(set(entries)) == len(entries) else "bad", "no entry appears twice")
missing = 0; total = 0
for line in open(acked_path, "rb"):
    idx, e = line.rstrip(b"\n").split(b"\t", 1)
    total += 1
    if int(idx) >= len(entries) or entries[int(idx)] != e: missing += 1
print("ok" if missing == 0 and total > 0 else "bad", "acknowledged entries at their index:", total - missing, "of", total)
bad = 0; seen = 0
for f in os.listdir(cpdir):
    seen += 1
    try:
        note = open(os.path.join(cpdir, f), "rb").read()
        m, r1 = check_note(note)
        if m == 0:
            okc = r1 == hashlib.sha256(b"").digest()
        else:
            proof = [base64.b64decode(x) for x in get("/consistency?from=%d&to=%d" % (m, size)).split()]
            okc = verify_consistency(m, size, r1, root, proof) and m <= size
        if not okc: bad += 1; print("# inconsistent:", f)
    except Exception as ex:
        bad += 1; print("# checkpoint", f, ex)
print("ok" if bad == 0 and seen > 0 else "bad", "served checkpoints signed and consistent with the final one:", seen - bad, "of", seen)

def verify_inclusion(index, size, leafhash, proof, root):
    if index >= size: return False
    fn, sn, r = index, size - 1, leafhash
    for p in proof:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn and not fn & 1: fn >>= 1; sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1; sn >>= 1
    return sn == 0 and r == root

bad = 0; seen = 0
for f in os.listdir(rcdir):
    seen += 1
    try:
        data = open(os.path.join(rcdir, f), "rb").read()
        head, note = data.split(b"\n\n", 1)
        lines = head.decode().split("\n")
        if lines[0] != "c2sp.org/tlog-proof@v1": raise Exception("header")
        lines = [l for l in lines[1:] if not l.startswith("extra ")]
        idx = int(lines[0].split(" ")[1])
        proof = [base64.b64decode(x) for x in lines[1:]]
        m, r = check_note(note)
        if idx != int(f) or not verify_inclusion(idx, m, leaf(entries[idx]), proof, r):
            bad += 1; print("# receipt", f, "does not verify")
    except Exception as ex:
        bad += 1; print("# receipt", f, ex)
print("ok" if bad == 0 and seen > 0 else "bad", "receipts served during the kills verify against their own checkpoint:", seen - bad, "of", seen)
EOF
# Debian's python3 gets python3-cryptography from scripts/install-deps.sh;
# another python3 first on PATH may lack it.
PY=python3
/usr/bin/python3 -c 'import cryptography' 2>/dev/null && PY=/usr/bin/python3
if "$PY" -c 'import cryptography' 2>/dev/null; then
    "$PY" "$T/verify.py" "$U" "$VKEY" "$T/cps" "$T/acked" "$T/receipts" >"$T/verify.out" 2>&1
    grep '^#' "$T/verify.out" | head -10
    while read -r verdict rest; do
        case $verdict in ok) ok 0 "$rest" ;; bad) ok 1 "$rest" ;; esac
    done < <(grep -E '^(ok|bad) ' "$T/verify.out")
    [ "$(grep -cE '^(ok|bad) ' "$T/verify.out")" = 6 ]; ok $? "the independent verifier ran all its checks"
else
    n=$((n + 1)); echo "ok $n # SKIP python3 with python3-cryptography is needed for the independent verifier"
fi

same=0 total=0
for f in "$T"/cps/*; do
    total=$((total + 1))
    "$B" log checkpoint --data "$T/d" --size "$(basename "$f")" 2>/dev/null | cmp -s - "$f" && same=$((same + 1))
done
ok $([ $same = $total ]; echo $?) "every served checkpoint is the one stored for its size ($same of $total)"
"$B" check --data "$T/d" >"$T/check" 2>&1; ok $? "belfry check: $(tail -1 "$T/check")"
stop_serve; ok $? "the last server stops cleanly"
done_testing
