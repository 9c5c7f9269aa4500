-- wrk workload: 50% GetItem / 50% PutItem, random keys.
-- Usage: wrk -t2 -c32 -d30s --latency -s bench/lua/mix.lua http://127.0.0.1:PORT/
-- Replies cannot be matched to their requests here (many in flight per thread), so misses
-- are not counted for the mix; only non-2xx replies are.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua").install(function(c)
  if math.random() < 0.5 then return c.get_request() end
  return c.put_request()
end, false)
