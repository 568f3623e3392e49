-- Conductor transitions: each request completes the current stage of the next work item (ids
-- 1..ITEMS, round robin from a different start per thread), as the "Mark complete" button does.
-- A success is a 303 back to the item; a finished item answers 409/400, which wrk counts as
-- non-2xx/3xx (the summary says how many).
local items = tonumber(os.getenv("ITEMS") or "2000")
local base = os.getenv("BASE")
local n = 0
setup = function(thread)
  thread:set("offset", math.random(0, items - 1))
end
request = function()
  n = n + 1
  local id = (((offset or 0) + n) % items) + 1
  -- wrk.format replaces the command line's headers (the session cookie) with these: keep them.
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["Origin"] = base
  headers["Sec-Fetch-Site"] = "same-origin"
  return wrk.format("POST", "/conductor/items/" .. id .. "/stage/complete", headers, "at=")
end
