# lib_store.sh - reading a store's rows as stored, for the shell tests.
# Source it after lib.sh (or on its own):
#
#     . "$(dirname "$0")/lib_store.sh"
if [ "${BASH_SOURCE[0]}" = "$0" ]; then # run by tests/run.sh as if it were a test
    echo "1..0 # SKIP lib_store.sh is sourced by the tests, it is not one"
    exit 0
fi

# store_texts DB TABLE COLUMN [WHERE]: every value of a text column, one
# per line, unpacked where the store packed it ("\x02L" varint(dictionary)
# varint(length) LZ4 block, store_pack.h) by python3-lz4, so a test reads
# the rows as stored, independently of belfry's own reader. Prints
# "UNPACK-FAILED" for a value that does not unpack to its length.
store_texts() {
    local py=python3
    [ -x /usr/bin/python3 ] && py=/usr/bin/python3 # Debian's, with python3-lz4
    "$py" - "$@" <<'PY'
import sqlite3, sys
import lz4.block

db, table, col = sys.argv[1:4]
where = sys.argv[4] if len(sys.argv) > 4 else "1"
con = sqlite3.connect("file:" + db + "?mode=ro", uri=True)
dicts = dict(con.execute("select id, dict from store_dict"))
out = sys.stdout.buffer

def varint(b, i):
    v = k = 0
    while True:
        c = b[i]
        v |= (c & 0x7F) << (7 * k)
        i, k = i + 1, k + 1
        if not c & 0x80:
            return v, i

for (v,) in con.execute(f"select {col} from {table} where {where}"):
    b = v.encode() if isinstance(v, str) else bytes(v)
    if b[:2] == b"\x02L":
        try:
            d, i = varint(b, 2)
            n, i = varint(b, i)
            b = lz4.block.decompress(b[i:], uncompressed_size=n, dict=dicts[d])
            if len(b) != n:
                raise ValueError("length")
        except Exception:
            b = b"UNPACK-FAILED"
    out.write(b + b"\n")
PY
}
