-- Every request a different search, so no answer can come from the page cache: a word of the
-- scenario's list, plus the exclusion of a made-up word that differs per request and thread
-- (it changes no result). Scenario (the KIND variable): common, rare, filtered, paged, api.
-- `filtered` reads contract type and department ids from TYPES and DEPARTMENTS (space-separated).
-- WORD, when set, is the only word searched for (bench/scout.sh: "maintenance").
local common = { "maintenance", "salt", "paving", "fire", "trucks", "police", "janitorial", "supplies",
  "office", "traffic", "vehicles", "equipment", "services", "uniforms", "repair", "materials" }
local rare = { "pothole", "benches", "boiler", "elevator", "toner", "pruning", "playground", "radios",
  "cameras", "ladder", "liners", "resurfacing" }
local fields = { "company", "description", "line_item", "property" }

local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local function ids(name)
  local list = {}
  for id in string.gmatch(os.getenv(name) or "", "%d+") do list[#list + 1] = id end
  return list
end

function init(args)
  kind = os.getenv("KIND") or "common"
  math.randomseed(os.time() * 100 + (thread_id or 0))
  types, departments = ids("TYPES"), ids("DEPARTMENTS")
  fixed = os.getenv("WORD")
end

local function pick(list) return list[math.random(#list)] end

request = function()
  counter = counter + 1
  local unique = string.format("-zz%dt%dn%d", math.random(1, 1000000000), thread_id or 0, counter)
  local word = fixed or pick(kind == "rare" and rare or common)
  local q = word .. "+" .. unique
  local path = "/scout/search?q=" .. q
  if kind == "filtered" then
    local which = math.random(4)
    if which == 1 and #types > 0 then path = path .. "&type=" .. pick(types)
    elseif which == 2 and #departments > 0 then path = path .. "&department=" .. pick(departments)
    elseif which == 3 then path = path .. "&fields=" .. pick(fields) .. "&fields=" .. pick(fields)
    else path = path .. "&expired=on" end
  elseif kind == "paged" then
    path = path .. "&page=" .. math.random(2, 4)
  elseif kind == "api" then
    path = "/api/v1/contracts?q=" .. q
  end
  return wrk.format("GET", path)
end
