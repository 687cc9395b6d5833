-- wrk script for bench.noisy_neighbour: every request a different question, so none can share
-- another's answer. `since` starts at PINGBACK_SINCE_S (epoch seconds) and moves one millisecond
-- per request; the rest of the query is PINGBACK_QUERY. Auth and the JSON report: wrk_report.lua.
dofile(os.getenv("PINGBACK_WRK_REPORT"))

local since_s = tonumber(os.getenv("PINGBACK_SINCE_S"))
local query = os.getenv("PINGBACK_QUERY")
local sent = 0

request = function()
   sent = sent + 1
   local ms = sent % 1000
   local since = os.date("!%Y-%m-%dT%H:%M:%S", since_s + math.floor(sent / 1000)) .. string.format(".%03dZ", ms)
   return wrk.format("GET", wrk.path .. "?" .. query .. "&since=" .. since)
end
