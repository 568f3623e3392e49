-- Contract pages picked at random among the demo's ids (set by scout.sh in wrk's environment):
-- the first visit to each page makes it, later visits are served from the cache.
local first = tonumber(os.getenv("FIRST_ID"))
local last = tonumber(os.getenv("LAST_ID"))
request = function()
  return wrk.format("GET", "/scout/contracts/" .. math.random(first, last))
end
