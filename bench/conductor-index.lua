-- Conductor's index as staff browse it: every request a different page, sort and direction of
-- everyone's work in progress (signed-in pages are never cached, but vary it anyway).
local sorts = { "expires", "days", "description", "stage", "assignee" }
local n = 0
request = function()
  n = n + 1
  local sort = sorts[(n % #sorts) + 1]
  local dir = (n % 2 == 0) and "asc" or "desc"
  local page = (n * 7) % 40 + 1
  return wrk.format("GET", "/conductor/?who=all&sort=" .. sort .. "&dir=" .. dir .. "&page=" .. page)
end
