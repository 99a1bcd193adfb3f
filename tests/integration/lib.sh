# lib.sh - what the shell tests share. Source it first thing:
#
#     . "$(dirname "$0")/lib.sh"
#
# It sets `set -u` and:
#   B       the binary under test ($BELFRY, else build/asan/belfry)
#   SHARED  the shared test data folder ($BELFRY_SHARED, else ../shared/data)
#   T       a fresh temporary folder, removed on exit (kept when KEEP is set)
#   TESSERA_SKEY, TESSERA_VKEY   the tessera test log's key pair
#
# TAP:       ok RC DESC (RC 0 passes), skip DESC, skip_all DESC (the whole
#            test: one skip, then exit 0), bail DESC (a failure, the tail of
#            every $T/*.err as comments, exit 1), done_testing (the plan).
# Processes: every process started with start_bg (and any pid added to
#            PIDS, or left in SPID) is killed and waited for on exit;
#            stop_pid PID stops one before (and returns its exit status).
#            To clean up more, define lib_on_exit.
# Servers:   port_of FILE          waits up to 30 s for "listening on port N"
#                                  in FILE and prints N
#            start_bg OUT ERR CMD...  runs CMD in the background (stdout to OUT,
#                                  stderr appended to ERR); sets PID, and BPORT
#                                  when CMD says it is listening
#            start_serve DATA OUT ERR [OPTION...]  `$B serve --data DATA
#                                  --listen 127.0.0.1:0 OPTION...`; sets SPID,
#                                  PORT and U (http://127.0.0.1:PORT)
#            stop_serve            SIGTERM to SPID and wait; its exit status
#            server_clean ERR      0 when a server's stderr has no ASan/UBSan report
#            free_port             prints a TCP port free on 127.0.0.1
# HTTP (each prints the status and leaves the body in $T/body):
#            http_req METHOD PATH TOKEN [JSON]  $U$PATH, TOKEN (if not empty) as
#                                  bearer, JSON as the body; headers in $T/hdr
#            api_status TOKEN CURL-ARG...  curl with TOKEN as bearer and a JSON
#                                  content type
set -u
if [ "${BASH_SOURCE[0]}" = "$0" ]; then # run by tests/run.sh as if it were a test
    echo "1..0 # SKIP lib.sh is sourced by the tests, it is not one"
    exit 0
fi
B=${BELFRY:-build/asan/belfry}
SHARED=${BELFRY_SHARED:-../shared/data}
TESSERA_SKEY='PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg'
TESSERA_VKEY='example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx'

# ---- TAP ------------------------------------------------------------------
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
skip_all() { echo "ok 1 # SKIP $1"; echo "1..1"; exit 0; }
bail() {
    local f
    echo "not ok $((n + 1)) - $*"
    for f in "$T"/*.err; do [ -s "$f" ] && sed 's/^/# /' "$f" | tail -5; done
    echo "1..$((n + 1))"
    exit 1
}
done_testing() { echo "1..$n"; }

# ---- processes and the temporary folder -----------------------------------
T=$(mktemp -d)
SPID=
PIDS=()
lib_cleanup() {
    local p
    declare -F lib_on_exit >/dev/null && lib_on_exit
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    for p in ${PIDS[@]+"${PIDS[@]}"}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap lib_cleanup EXIT

# ---- servers --------------------------------------------------------------
port_of() {
    local i
    for i in $(seq 300); do
        grep -q "listening on port" "$1" 2>/dev/null &&
            { sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$1" | head -1; return 0; }
        sleep 0.1
    done
    return 1
}

start_bg() {
    : >"$1" # as start_serve
    "${@:3}" >>"$1" 2>>"$2" &
    PID=$!
    PIDS+=("$PID")
    BPORT=$(port_of "$1")
}

# The output file is emptied here, before the server starts: left to the
# background job's redirection, port_of could read a previous server's
# port from it first (seen on a loaded machine after a restart).
start_serve() {
    : >"$2"
    "$B" serve --data "$1" --listen 127.0.0.1:0 "${@:4}" >>"$2" 2>>"$3" &
    SPID=$!
    PORT=$(port_of "$2")
    U=http://127.0.0.1:$PORT
}

stop_serve() {
    local rc
    kill "$SPID"
    wait "$SPID" 2>/dev/null
    rc=$?
    SPID=
    return $rc
}

stop_pid() {
    local rc p keep=()
    kill "$1"
    wait "$1"
    rc=$?
    for p in ${PIDS[@]+"${PIDS[@]}"}; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=(${keep[@]+"${keep[@]}"})
    return $rc
}

server_clean() {
    grep -qE 'ERROR: AddressSanitizer|runtime error|ThreadSanitizer' "$1"
    [ $? = 1 ]
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- HTTP -----------------------------------------------------------------
http_req() {
    local auth=() data=()
    [ -n "$3" ] && auth=(-H "Authorization: Bearer $3")
    [ $# -ge 4 ] && data=(-H 'Content-Type: application/json' --data-binary "$4")
    curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$1" ${auth[@]+"${auth[@]}"} ${data[@]+"${data[@]}"} "$U$2"
}

api_status() {
    curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $1" -H 'Content-Type: application/json' "${@:2}"
}

