-- Contract pages picked at random: among the ids listed in IDS_FILE (one per line, written by
-- compare.sh: the contracts Scout shows), or else FIRST_ID..LAST_ID (set by scout.sh). The first
-- visit to each page makes it, later visits are served from what the process keeps. Each thread
-- has its own seed, so the two threads do not walk the same sequence.
local first = tonumber(os.getenv("FIRST_ID"))
local last = tonumber(os.getenv("LAST_ID"))
local ids = {}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  math.randomseed(os.time() * 100 + (thread_id or 0))
  local file = os.getenv("IDS_FILE")
  if file then
    for line in io.lines(file) do ids[#ids + 1] = line end
  end
end

request = function()
  local id = #ids > 0 and ids[math.random(#ids)] or math.random(first, last)
  return wrk.format("GET", "/scout/contracts/" .. id)
end
