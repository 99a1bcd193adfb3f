# lib_store.sh - reading a store's rows as stored, for the shell tests.
# Source it after lib.sh (or on its own):
#
#     . "$(dirname "$0")/lib_store.sh"
if [ "${BASH_SOURCE[0]}" = "$0" ]; then # run by tests/run.sh as if it were a test
    echo "1..0 # SKIP lib_store.sh is sourced by the tests, it is not one"
    exit 0
fi

# store_texts DB TABLE COLUMN [WHERE]: every value of a text column, one
# per line, unpacked with the zstd program where the store packed it
# ("\x02Z" varint(dictionary) frame, store_pack.h), so a test reads the
# rows as stored, independently of belfry's own reader. Prints
# "UNPACK-FAILED" for a value zstd cannot unpack.
store_texts() {
    local db=$1 table=$2 col=$3 where=${4:-1} dir hex id
    dir=$(mktemp -d)
    sqlite3 "$db" "select writefile('$dir/dict.' || id, dict) from store_dict" >/dev/null 2>&1
    sqlite3 "$db" "select hex($col) from $table where $where" | while read -r hex; do
        case $hex in
        025A*)
            id=$((16#${hex:4:2}))
            if [ "$id" -ge 128 ]; then echo UNPACK-FAILED; continue; fi # ids past 127: not in tests
            echo "${hex:6}" | basenc --base16 -d | zstd -dcq -D "$dir/dict.$id" 2>/dev/null || echo UNPACK-FAILED
            echo ;;
        *) echo "$hex" | basenc --base16 -d; echo ;;
        esac
    done
    rm -rf "$dir"
}
