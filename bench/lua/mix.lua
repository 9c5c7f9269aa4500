-- wrk workload: 50% GetItem / 50% PutItem, random keys.
-- Usage: wrk -t2 -c32 -d30s --latency -s bench/lua/mix.lua http://127.0.0.1:PORT/
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

function init(_)
  common.init_thread()
end

function request()
  if math.random() < 0.5 then
    return common.get_request()
  end
  return common.put_request()
end

-- Replies cannot be matched to their requests here (many in flight per thread), so
-- misses are not counted for the mix; only non-2xx replies are.
function response(status, headers, body)
  common.response(status, headers, body, false)
end
