-- wrk script for the Tollgate bench (bench/src/wrk.ts runs it; read there for the contract).
--   WRK_BODY_FILE     file whose bytes are every request's body (POST)
--   WRK_HEADERS_FILE  file of "name: value" lines sent with every request
--   WRK_DELAY_MS      pause before each request on a connection (closed-loop pacing; 0 or unset: none)
-- done() prints one line "WRK_JSON {...}" with the counts and latency percentiles in microseconds,
-- so the harness parses JSON rather than wrk's text report.

local function read_file(name)
  local f = assert(io.open(name, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

wrk.method = "POST"
local body_file = os.getenv("WRK_BODY_FILE")
if body_file and body_file ~= "" then
  wrk.body = read_file(body_file)
end
wrk.headers["Content-Type"] = "application/json"
local headers_file = os.getenv("WRK_HEADERS_FILE")
if headers_file and headers_file ~= "" then
  for line in read_file(headers_file):gmatch("[^\r\n]+") do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
end

local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0") or 0
if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

-- wrk 4 "corrects" the latency histogram before done() (stats_correct: every sample above twice the
-- mean interval per connection is back-filled with synthetic samples); the histogram goes out whole,
-- bin by bin, so the harness can undo that and report the latencies wrk recorded.
local MAX_BINS = 20000

function done(summary, latency, requests)
  local e = summary.errors
  local bins = {}
  local n = #latency
  if n <= MAX_BINS then
    for i = 1, n do
      local value, count = latency(i)
      bins[#bins + 1] = string.format("%d,%d", value, count)
    end
  end
  local out = string.format(
    '{"durationUs":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"min":%d,"mean":%.2f,"max":%d,"stdev":%.2f,"p50":%d,"p90":%d,"p99":%d,"p999":%d},' ..
    '"histogram":%s}',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    n <= MAX_BINS and ("[" .. table.concat(bins, ",") .. "]") or "null")
  io.write("WRK_JSON " .. out .. "\n")
end
