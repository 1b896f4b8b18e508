-- wrk script: GET a different shopper tracking page on every request, cycling through a list of paths.
-- Argument after `--`: a file with one path (/t/<token>) per line.
-- done() prints one machine-readable line: the latency percentiles (p95 included; --latency has no p95),
-- bytes per response, and how many responses were not exactly 200 (wrk itself lets 3xx pass).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local paths = {}
local i = 0
not_200 = 0

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  assert(#paths > 0, "no paths in " .. tostring(args[1]))
  -- Threads start at different places in the list, so they do not ask for the same page at the same time.
  i = ((tid or 1) - 1) * 251 % #paths
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function response(status, headers, body)
  if status ~= 200 then
    not_200 = not_200 + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (tonumber(thread:get("not_200")) or 0)
  end
  io.write(string.format(
    "PVBENCH requests=%.0f bytes=%.0f duration_us=%.0f p50_us=%.0f p75_us=%.0f p90_us=%.0f p95_us=%.0f " ..
    "p99_us=%.0f max_us=%.0f mean_us=%.1f not_200=%.0f timeouts=%.0f\n",
    summary.requests, summary.bytes, summary.duration,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, bad, summary.errors.timeout))
end
