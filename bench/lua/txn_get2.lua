-- wrk workload: TransactGetItems of 2 random preloaded keys.
-- Usage: wrk -t2 -c32 -d30s --latency -s bench/lua/txn_get2.lua http://127.0.0.1:PORT/
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua").install(function(c) return c.txn_get_request(2) end, true)
