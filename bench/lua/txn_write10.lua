-- wrk workload: TransactWriteItems of 10 Puts (random distinct keys, a ClientRequestToken as the SDKs send).
-- Usage: wrk -t2 -c32 -d30s --latency -s bench/lua/txn_write10.lua http://127.0.0.1:PORT/
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua").install(function(c) return c.txn_write_request(10) end, false)
