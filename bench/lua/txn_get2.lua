-- wrk workload: TransactGetItems of 2 random preloaded keys.
-- Usage: wrk -t2 -c32 -d30s --latency -s bench/lua/txn_get2.lua http://127.0.0.1:PORT/
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

function init(_)
  common.init_thread()
end

function request()
  return common.txn_get_request(2)
end

function response(status, headers, body)
  common.response(status, headers, body, true)
end
