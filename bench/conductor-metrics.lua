-- A flow's metrics page (issue 16) as staff read it: every request another stage's
-- distribution and page of it, every fourth with a department filter. FLOW is the flow's id.
-- MISS=1 also asks for stages completed since a different day each request, so no request
-- finds the figures this process keeps: each makes them from the flow's rows (what the first
-- reader after a change of any work pays).
local flow = os.getenv("FLOW") or "1"
local miss = os.getenv("MISS") == "1"
local n = 0
request = function()
  n = n + 1
  local path = "/conductor/metrics/" .. flow .. "?stage=" .. ((n % 6) + 1) .. "&page=" .. ((n % 5) + 1)
  if n % 4 == 0 then
    path = path .. "&department=" .. ((n % 7) + 1)
  end
  if miss then
    -- A day of the last 3,000 days, different for every request in a 20 s run's reach.
    local t = os.time() - 86400 * (n % 3000)
    path = path .. "&from=" .. os.date("!%Y-%m-%d", t) .. "&to=2099-12-31"
  end
  return wrk.format("GET", path)
end
