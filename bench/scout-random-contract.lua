-- Contract pages picked at random among the demo's ids (FIRST_ID..LAST_ID, set by scout.sh and
-- compare.sh in wrk's environment): the first visit to each page makes it, later visits are
-- served from what the process keeps. Each thread has its own seed, so the two threads do not
-- walk the same sequence.
local first = tonumber(os.getenv("FIRST_ID"))
local last = tonumber(os.getenv("LAST_ID"))
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  math.randomseed(os.time() * 100 + (thread_id or 0))
end

request = function()
  return wrk.format("GET", "/scout/contracts/" .. math.random(first, last))
end
