-- bench/soak.sh's traffic: anonymous and signed-in pages in turn, each connection pausing
-- between requests so the load stays steady and modest (the point is memory over time).
-- wrk.cookie and wrk.paths are set from the environment by `init`.
local paths = {}
local cookie = os.getenv("SOAK_COOKIE")
local signed_in = { ["/profile"] = true, ["/admin/departments/"] = true }
local i = 0

function init(args)
  for p in string.gmatch(os.getenv("SOAK_PATHS"), "%S+") do
    table.insert(paths, p)
  end
end

function request()
  i = i + 1
  local path = paths[(i % #paths) + 1]
  local headers = {}
  if signed_in[path] then
    headers["Cookie"] = cookie
  end
  return wrk.format("GET", path, headers)
end

function delay()
  return tonumber(os.getenv("SOAK_DELAY_MS") or "20")
end
