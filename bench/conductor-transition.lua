-- Conductor transitions: each request completes the current stage of the next work item (ids
-- 1..ITEMS, round robin from a different start per thread), as the "Mark complete" button does.
-- A finished item answers 409/400, counted by wrk as non-2xx/3xx.
local items = tonumber(os.getenv("ITEMS") or "2000")
local base = os.getenv("BASE")
local n = 0
setup = function(thread)
  thread:set("offset", math.random(0, items - 1))
end
request = function()
  n = n + 1
  local id = (((offset or 0) + n) % items) + 1
  return wrk.format("POST", "/conductor/items/" .. id .. "/stage/complete", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = base,
    ["Sec-Fetch-Site"] = "same-origin",
  }, "at=")
end
