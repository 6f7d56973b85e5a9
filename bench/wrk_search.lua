-- wrk script for bench/serve.sh: rotate over the request paths in a file (one per line),
-- or hit one fixed path; print one parseable RESULT line at the end.
-- Usage: wrk ... -s bench/wrk_search.lua URL -- PATHS_FILE [START]   |   -- /healthz
-- START (0 to 1): where in the file to begin, as a fraction of it (serve.sh's slices each take their own part)
local paths = {}
local counter = 0

function init(args)
  local source = args[1] or "/healthz"
  local file = io.open(source, "r")
  if file then
    for line in file:lines() do
      if #line > 0 then paths[#paths + 1] = line end
    end
    file:close()
  else
    paths[1] = source
  end
  local start = tonumber(args[2] or "")
  if start then
    counter = math.floor(start * #paths) % #paths
  else
    counter = math.random(#paths)  -- threads start at different places in the list
  end
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
