-- wrk workload: PutItem of a random key (overwrites a preloaded item).
-- Usage: wrk -t2 -c32 -d30s --latency -s bench/lua/put.lua http://127.0.0.1:PORT/
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua").install(function(c) return c.put_request() end, false)
