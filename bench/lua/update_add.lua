-- wrk workload: UpdateItem ADD n :one on a random key.
-- Usage: wrk -t2 -c32 -d30s --latency -s bench/lua/update_add.lua http://127.0.0.1:PORT/
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

function init(_)
  common.init_thread()
end

function request()
  return common.update_add_request()
end

function response(status, headers, body)
  common.response(status, headers, body, false)
end
