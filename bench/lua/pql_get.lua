-- wrk workload: ExecuteStatement SELECT * ... WHERE pk = ? of a random preloaded key.
-- Usage: wrk -t2 -c32 -d30s --latency -s bench/lua/pql_get.lua http://127.0.0.1:PORT/
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua").install(function(c) return c.pql_get_request() end, '"Items":[{')
