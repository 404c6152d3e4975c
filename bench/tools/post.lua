-- wrk script: POST the JSON body in $WRK_BODY to every request, print one JSON line of results.
-- Every "{i}" in the body becomes the request's number (1, 2, ...), so each message or file
-- of a run is unique and can be counted where it lands.
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local template = wrk.body
local counter = 0
if string.find(template, "{i}", 1, true) then
  request = function()
    counter = counter + 1
    local body = string.gsub(template, "{i}", tostring(counter))
    return wrk.format(nil, nil, nil, body)
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p75_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
