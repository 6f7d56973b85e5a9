#!/usr/bin/env bash
# Served throughput: gunicorn (2 workers) on a free 127.0.0.1 port, wrk for DURATION seconds against
# /api/v1/search (rotating over the benchmark's mix of ZIPs, radii, filters and pages) and as long against
# /healthz (the floor of the stack), in turns (SLICES). Loopback only, bounded in time; gunicorn is stopped
# on exit.
#
#   bash bench/serve.sh                      # SQLite, 100,000 listings (built first if missing)
#   LISTINGS=1000000 bash bench/serve.sh
#   DATABASE_URL=postgresql://postgres@127.0.0.1/bench LISTINGS=100000 bash bench/serve.sh  # already built
#   SEARCH_CACHE_URL=off bash bench/serve.sh                       # no result cache (search_cache.py)
#   SEARCH_CACHE_URL=redis://127.0.0.1:6379/3 bash bench/serve.sh  # shared by the workers (emptied first)
#   WORKER_CLASS=gthread THREADS=2 bash bench/serve.sh             # gunicorn's worker settings
#   WARM=all SEARCH_CACHE_URL=redis://127.0.0.1:6379/3 bash bench/serve.sh  # every path asked once before timing
#   URLS=2400 bash bench/serve.sh                                  # rotate over fewer distinct searches
set -euo pipefail
cd "$(dirname "$0")/.."
LISTINGS=${LISTINGS:-100000}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-4}
PY=.venv/bin/python
mkdir -p bench/out

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's wrk" >&2
    (apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; })
  else
    echo "bench/serve.sh needs wrk (Debian package 'wrk')" >&2; exit 1
  fi
fi

if [ -z "${DATABASE_URL:-}" ]; then
  DB_FILE="bench/out/bench-$LISTINGS.sqlite"
  if [ ! -f "$DB_FILE" ]; then
    $PY bench/search.py --listings "$LISTINGS" --build-only
  fi
  DATABASE_URL="sqlite:///$PWD/$DB_FILE"
fi
export DATABASE_URL
# How much of a SQLite file the operating system holds in its cache (a search's cards come from it or from
# the disk: bench/README.md, eleventh round).
if [ -n "${DB_FILE:-}" ] && command -v fincore >/dev/null; then
  echo "database file in the OS file cache: $(fincore --noheadings --output RES,SIZE "$DB_FILE" | awk '{print $1 " of " $2}')"
fi
export SECRET_KEY=${SECRET_KEY:-serve-benchmark-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}

SEARCH_CACHE_URL=${SEARCH_CACHE_URL:-}
export SEARCH_CACHE_URL SEARCH_CACHE_STATS=$PWD/bench/out/cache-stats.txt
rm -f "$SEARCH_CACHE_STATS"
case "$SEARCH_CACHE_URL" in
  redis://*) $PY -c 'import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()' "$SEARCH_CACHE_URL" ;;
esac
echo "result cache: ${SEARCH_CACHE_URL:-per worker (the default)}; workers: ${WORKERS:-2} ${WORKER_CLASS:-sync}${THREADS:+ x $THREADS threads}"

PATHS=bench/out/wrk-paths.txt
# URLS distinct searches (default 40,000: more than a 20 s run asks, so none comes back and a result
# cache cannot answer one it has seen; URLS=2400 is the earlier rounds' mix, which repeats).
$PY bench/search.py --listings "$LISTINGS" --queries "${URLS:-40000}" --write-paths "$PATHS"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

.venv/bin/gunicorn --workers "${WORKERS:-2}" --worker-class "${WORKER_CLASS:-sync}" --threads "${THREADS:-1}" \
  -c bench/gunicorn_stats.py --bind "127.0.0.1:$PORT" --access-logfile /dev/null --error-logfile bench/out/gunicorn.log app:app &
GUNICORN=$!
trap 'kill "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null

# Warm both workers (imports, templates, ZIP table, the database's pages). WARM=all asks every path of the
# mix once first (two at a time), so that a result cache starts full: its steady state, not its first pass.
if [ "${WARM:-}" = "all" ]; then
  $PY - "$PATHS" "$PORT" <<'PYEOF'
import sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
paths = [line.strip() for line in open(sys.argv[1]) if line.strip()]
def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[2]}{path}") as response:
        response.read()
with ThreadPoolExecutor(2) as pool:
    list(pool.map(get, paths))
print(f"warmed: {len(paths)} paths asked once")
PYEOF
else
  head -n 200 "$PATHS" | while read -r path; do curl -fsS -o /dev/null "http://127.0.0.1:$PORT$path"; done
fi

# The floor and the search take turns, SLICES times (default 4: 5 s each of a 20 s DURATION), so that a
# change in the machine's speed during the run (a shared host's neighbours) weighs on both alike; each
# search slice reads its own part of the paths, so none comes back.
SLICES=${SLICES:-4}
SLICE_SECONDS=$(( (DURATION + SLICES - 1) / SLICES ))
run() {  # $1 label, $2 path or paths file, $3 where in the file to start (0 to 1)
  wrk -t1 -c"$CONNECTIONS" -d"${SLICE_SECONDS}s" --timeout 10s --latency -s bench/wrk_search.lua \
    "http://127.0.0.1:$PORT" -- "$2" "$3" | grep '^RESULT' | sed "s/^RESULT/$1/"
}
SLICE_RESULTS=bench/out/serve-slices.txt
: > "$SLICE_RESULTS"
for slice in $(seq 0 $((SLICES - 1))); do
  run healthz /healthz 0 >> "$SLICE_RESULTS"
  run search "$PATHS" "$(awk "BEGIN { print $slice / $SLICES }")" >> "$SLICE_RESULTS"
done
# Sums over the slices: requests per second over all their seconds, errors, and the worst slice's p50 and p99.
mapfile -t TOTALS < <($PY - "$SLICE_RESULTS" <<'PYEOF'
import sys
totals = {}
for line in open(sys.argv[1]):
    label, *items = line.split()
    values = {key: float(value) for key, value in (item.split("=") for item in items)}
    total = totals.setdefault(label, {"requests": 0, "seconds": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": 0})
    for key in ("requests", "seconds", "errors"):
        total[key] += values[key]
    for key in ("p50_ms", "p99_ms"):
        total[key] = max(total[key], values[key])
for label in ("healthz", "search"):
    t = totals[label]
    print(f"{label} requests={t['requests']:.0f} seconds={t['seconds']:.2f} rps={t['requests'] / t['seconds']:.1f} "
          f"p50_ms={t['p50_ms']:.2f} p99_ms={t['p99_ms']:.2f} errors={t['errors']:.0f}")
PYEOF
)
FLOOR=${TOTALS[0]}
SEARCH=${TOTALS[1]}
echo "$FLOOR"
echo "$SEARCH"
rss=""
for pid in "$GUNICORN" $(pgrep -P "$GUNICORN" || true); do
  rss="$rss $pid:$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")MB"
done
echo "peak RSS per process (master, workers):$rss"
kill "$GUNICORN" && wait "$GUNICORN" 2>/dev/null || true  # workers write their cache counts as they stop
if [ -s "$SEARCH_CACHE_STATS" ]; then
  $PY - "$SEARCH_CACHE_STATS" <<'PYEOF'
import json, sys
totals = {}
for line in open(sys.argv[1]):
    for kind, counts in (json.loads(line)["cache"] or {}).items():
        for outcome, n in counts.items():
            totals.setdefault(kind, {}).setdefault(outcome, 0)
            totals[kind][outcome] += n
for kind, counts in sorted(totals.items()):
    asked = counts.get("hit", 0) + counts.get("miss", 0)
    print(f"search cache {kind}: {counts.get('hit', 0)} hits, {counts.get('miss', 0)} misses"
          f" ({counts.get('hit', 0) / max(1, asked):.1%} hits; warm-up included)")
PYEOF
fi
$PY - "$FLOOR" "$SEARCH" <<'PYEOF'
import sys
def fields(line):
    return dict(item.split("=") for item in line.split()[1:])
floor, search = fields(sys.argv[1]), fields(sys.argv[2])
print(f"search/floor throughput: {float(search['rps']) / float(floor['rps']):.0%}"
      f"  (search {float(search['rps']):.0f} req/s, p99 {search['p99_ms']} ms, errors {search['errors']};"
      f" floor {float(floor['rps']):.0f} req/s, p99 {floor['p99_ms']} ms, errors {floor['errors']})")
PYEOF
