-- Conductor's index as staff browse it: every request a different page, sort and direction
-- (signed-in pages are never cached, but vary it anyway). WHO=all (the default) lists
-- everyone's work in progress, WHO=mine the signed-in user's; SEARCH=1 adds a search, a
-- different word each request.
local sorts = { "expires", "days", "description", "stage", "assignee" }
local words = { "salt", "mowing", "hvac", "uniform", "b-0", "renewal", "paving", "24-1", "police", "water" }
local who = os.getenv("WHO") or "all"
local search = os.getenv("SEARCH") == "1"
local n = 0
request = function()
  n = n + 1
  local sort = sorts[(n % #sorts) + 1]
  local dir = (n % 2 == 0) and "asc" or "desc"
  -- 2,000 items at 25 a page: pages 1..80.
  local page = (n * 7) % 80 + 1
  local path = "/conductor/?who=" .. who .. "&sort=" .. sort .. "&dir=" .. dir
  if search then
    path = path .. "&q=" .. words[(n % #words) + 1]
  else
    path = path .. "&page=" .. page
  end
  return wrk.format("GET", path)
end
