-- Every request a real search: the common word, plus the exclusion of a made-up word that
-- differs per request and per wrk thread (each thread is seeded apart and names itself in the
-- word), so no two requests share a cache key (the results are the same).
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  math.randomseed(os.time() * 100 + (thread_id or 0))
end

request = function()
  counter = counter + 1
  local path = string.format("/scout/search?q=maintenance+-zz%dt%dq%d", math.random(1, 1000000000), thread_id or 0, counter)
  return wrk.format("GET", path)
end
