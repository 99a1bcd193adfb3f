#!/usr/bin/env bash
# portal_wrk.sh - wrk against the record API and the portal's search API on
# a store of generated releases (1 000 000 by default), with `belfry serve`
# (release build) on loopback; requests/s and latency percentiles go to
# bench/results/portal.txt.
#
#   bench/portal_wrk.sh                      # builds the store on first use
#   BELFRY_BENCH_STORE=DIR COUNT=N DURATION=20 CONNS=32 bench/portal_wrk.sh
#   MODE=cold bench/portal_wrk.sh            # only the cold searches
#   MODE=distinct bench/portal_wrk.sh        # cold searches sharing nothing
#
# search-cold asks pages 1..40 of a few hundred distinct queries, so with
# the store's ranked id cache the pages of one query share their ranking
# and count. MODE=distinct runs the server with that cache off
# (BELFRY_PORTAL_ID_CACHE=0): every request pays as if it were a query no
# one asked before. Every mode appends to the results file.
#
# The store is made with `belfry init` + `belfry demo --count N --no-real`
# (the deterministic generator the import benchmark uses) and kept outside
# the repository for the next run. Targets (issue #4): record reads
# >= 20 000 req/s with p99 <= 20 ms; search p99 <= 50 ms.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${BELFRY_BIN:-./belfry}
COUNT=${COUNT:-1000000}
STORE=${BELFRY_BENCH_STORE:-/tmp/belfry-bench/store-$COUNT}
DURATION=${DURATION:-20}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-8}
MODE=${MODE:-all}
OUT=bench/results/portal.txt
TEE=(tee -a "$OUT") # every run appends: the file keeps the history of figures
ID_CACHE=1
[ "$MODE" = distinct ] && ID_CACHE=0
WORK=$(mktemp -d)
SERVER_PID=

cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "portal_wrk: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$BIN" ] || make -j2 belfry >/dev/null

if [ ! -f "$STORE/belfry.db" ]; then
    echo "portal_wrk: building a store of $COUNT generated releases in $STORE (once)" >&2
    mkdir -p "$(dirname "$STORE")"
    "$BIN" init --data "$STORE" --origin bench.belfry/log >/dev/null
    /usr/bin/time -f "%e s" -o "$WORK/build.time" "$BIN" demo --data "$STORE" --count "$COUNT" --no-real --quiet
fi

# The server, without its per-client rate limit (wrk is one client). Its
# output files exist before it starts: the port poll below must not read a
# file the shell has not created yet (set -e would end the run).
: >"$WORK/serve.out"
: >"$WORK/serve.err"
BELFRY_PORTAL_ID_CACHE=$ID_CACHE "$BIN" serve --data "$STORE" --listen 127.0.0.1:0 --web web --rate 0 --threads "$SERVER_THREADS" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/^listening on port \([0-9]*\)$/\1/p' "$WORK/serve.out")
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "${PORT:-}" ] || { cat "$WORK/serve.err" >&2; exit 1; }
BASE=http://127.0.0.1:$PORT

# Wait for the portal index to follow the whole log (first run: the full
# index is built here; its duration is reported) and for the in-memory
# search index to be built from it (unless BELFRY_PORTAL_SEARCH_INDEX=0:
# the SQLite search path, for a baseline).
T0=$(date +%s.%N)
while :; do
    read -r DONE SIZE < <(curl -s "$BASE/api/v1/portal/config" |
        python3 -c 'import json,os,sys; d=json.load(sys.stdin); print(d["indexedThrough"] if d.get("searchIndex", True) or os.environ.get("BELFRY_PORTAL_SEARCH_INDEX") == "0" else -1, d["logSize"])')
    [ "$SIZE" -gt 0 ] && [ "$DONE" -ge "$SIZE" ] && break
    sleep 0.5
done
INDEX_S=$(echo "$(date +%s.%N) - $T0" | bc)

# Request paths: 2 000 releases sampled uniformly from the log (their record
# and their own release), and a mix of searches a journalist would type.
python3 - "$BASE" "$SIZE" "$WORK" <<'PY'
import json, random, sys, urllib.parse, urllib.request
base, size, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(42)
def get(p):
    with urllib.request.urlopen(base + p) as r:
        return json.load(r)
recs, rels = [], []
for _ in range(2000):
    k = rnd.randrange(size)
    items = get(f"/api/v1/releases?after={k}&limit=1").get("releases", [])
    if not items:
        continue
    it = items[0]
    ocid = it.get("ocid") or urllib.parse.unquote(it["url"].split("/api/v1/releases/")[1].split("/")[0])
    rid = it.get("id")
    recs.append("/api/v1/records/" + urllib.parse.quote(ocid, safe=""))
    rels.append("/api/v1/releases/" + urllib.parse.quote(ocid, safe="") + "/" + urllib.parse.quote(rid, safe=""))
words = ["drone", "drones", "ammunition", "radar", "helicopter", "maintenance", "cyber", "training", "night vision",
         "armoured vehicles", "F-35", "frigate", "satellite", "software licences", "fuel", "uniforms", "rifles", "munitie",
         "thales", "rheinmetall", "fn herstal", "lockheed", "saab", "kongsberg"]
buyers = [b["id"] for b in get("/api/v1/organisations?q=de&role=buyer")["organisations"][:5]] or [""]
filters = ["capability=dronesUav", "capability=ammunition", "noncompetitive=1", "procedure=restricted",
           "procedure=negotiatedWithoutPublication", "status=contract", "year=2023", "cpv=35", "min=1000000",
           "sort=value-desc", "sort=newest", "page=3", "from=2023-01-01&to=2023-12-31"]
def one():
    parts = []
    if rnd.random() < 0.75:
        parts.append("q=" + urllib.parse.quote(rnd.choice(words)))
    if rnd.random() < 0.5:
        parts.append(rnd.choice(filters))
    if rnd.random() < 0.15:
        parts.append("buyer=" + urllib.parse.quote(rnd.choice(buyers)))
    return "&".join(parts or ["sort=newest"])
# "search": 300 popular searches, asked again and again (the response cache
# serves repeats until the index changes); "search-cold": 20 000 distinct
# searches (page 1..40 of the mix), so nearly every request runs SQLite.
search = ["/api/v1/search?" + one() for _ in range(300)]
cold = set()
while len(cold) < 20000:
    cold.add("/api/v1/search?" + one() + "&page=%d" % rnd.randint(1, 40))
serial = set()
while len(serial) < 600: # never asked before the serial run, so never cached
    p = "/api/v1/search?" + one() + "&page=%d" % rnd.randint(1, 40)
    if p not in cold:
        serial.add(p)
cold = list(cold)
rnd.shuffle(cold)
for name, paths in (("records", recs), ("releases", rels), ("search", search), ("search-cold", cold),
                    ("search-serial", sorted(serial))):
    with open(f"{work}/{name}.paths", "w") as f:
        f.write("\n".join(paths) + "\n")
PY

cat >"$WORK/paths.lua" <<'LUA'
-- Rotates through the request paths listed in the file named by the first
-- script argument, each thread from its own random starting point.
local paths, i = {}, 0
function init(args)
    for line in io.lines(args[1]) do paths[#paths + 1] = line end
    math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
    i = math.random(#paths)
end
function request()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
LUA

# Checks every sampled path answers 200 before timing anything.
for f in records releases search search-cold; do
    while read -r p; do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE$p")
        [ "$code" = 200 ] || { echo "portal_wrk: $p answered $code" >&2; exit 1; }
    done < <(head -n 50 "$WORK/$f.paths")
done

run() { # name, connections
    wrk -t"$THREADS" -c"$2" -d"${DURATION}s" --latency -s "$WORK/paths.lua" "$BASE" -- "$WORK/$1.paths" >"$WORK/$1-$2.wrk"
    awk -v name="$1" -v c="$2" '
        /Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = $2 } /^ +90%/ { p90 = $2 } /^ +99%/ { p99 = $2 }
        /Non-2xx/ { bad = $NF }
        END { printf "%-11s c=%-3d %10.0f req/s   p50 %-8s p90 %-8s p99 %-8s non-2xx %s\n", name, c, rps, p50, p90, p99, bad ? bad : 0 }' \
        "$WORK/$1-$2.wrk"
}

{
  if [ "$MODE" = all ]; then
      echo "# Belfry portal benchmark (bench/portal_wrk.sh), $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)"
      echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); server and wrk share them"
      echo "# store: $STORE, $SIZE log entries ($COUNT generated releases), $(du -sh "$STORE" | cut -f1) on disk"
      [ -f "$WORK/build.time" ] && echo "# store built (belfry demo, import end to end) in $(cat "$WORK/build.time")"
      echo "# portal index caught up with the log in ${INDEX_S} s after start"
      echo "# wrk -t$THREADS -d${DURATION}s --latency, 2000 sampled paths per endpoint, keep-alive, rate limit off; belfry serve --threads $SERVER_THREADS"
      echo "# records  = GET /api/v1/records/{ocid} (compiled + versioned release, release list with receipts)"
      echo "# releases = GET /api/v1/releases/{ocid}/{id} (one public release as logged)"
      echo "# search   = GET /api/v1/search, 300 popular searches (full text and/or filters, sorting), repeated: response cache"
      echo "# search-cold = 20000 distinct searches (the same mix, pages 1..40): nearly every request runs the query"
      echo "# targets: record reads >= 20000 req/s and p99 <= 20 ms; search p99 <= 50 ms"
      echo "# c=32 and c=8 saturate both cores (latency includes queueing); c=2 shows the service time"
      run records "$CONNS"
      run releases "$CONNS"
      run search "$CONNS"
      run search-cold "$CONNS"
      run records 8
      run releases 8
      run search 8
      run search-cold 8
      run search-cold 2
  else
    echo "# MODE=$MODE $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?), ranked id cache $([ $ID_CACHE = 1 ] && echo on || echo off), search index $([ "${BELFRY_PORTAL_SEARCH_INDEX:-1}" = 0 ] && echo off || echo on), load $(cut -d' ' -f1-3 /proc/loadavg)"
    run search-cold "$CONNS"
    run search-cold 8
    run search-cold 2
  fi
    # One client, one request at a time: the service time of a cold search
    # with no queueing behind other requests (wrk's own CPU is not in it).
    python3 - "$BASE" "$WORK/search-serial.paths" <<'PY'
import sys, time, urllib.request
base, paths = sys.argv[1], open(sys.argv[2]).read().split()
lat = []
for p in paths[:600]:
    t = time.perf_counter()
    urllib.request.urlopen(base + p).read()
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
q = lambda x: lat[min(len(lat) - 1, int(x * len(lat)))]
print("search-cold serial (1 client, %d requests)  p50 %.2fms  p90 %.2fms  p99 %.2fms  max %.2fms"
      % (len(lat), q(0.5), q(0.9), q(0.99), lat[-1]))
PY
} | "${TEE[@]}"
