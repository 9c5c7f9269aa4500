-- wrk workload: UpdateItem ADD n :one on a random key.
-- Usage: wrk -t2 -c32 -d30s --latency -s bench/lua/update_add.lua http://127.0.0.1:PORT/
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua").install(function(c) return c.update_add_request() end, false)
