-- Every request a real search: the common word, plus the exclusion of a made-up word that
-- differs per request, so no two requests share a cache key (the results are the same).
local counter = 0
request = function()
  counter = counter + 1
  local path = string.format("/scout/search?q=maintenance+-zz%dq%d", math.random(1, 1000000000), counter)
  return wrk.format("GET", path)
end
