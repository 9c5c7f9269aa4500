-- wrk workload: PutItem of a random key at a fixed total rate (for replication lag runs).
-- Environment: RATE (total requests/s over all connections, default 2000), CONNS (the -c
-- value, default 8), plus common.lua's BENCH_TABLE / BENCH_ITEMS.
-- Each connection waits CONNS/RATE seconds between requests (wrk's delay() hook), so the
-- offered rate is about RATE as long as replies are faster than that interval.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

local interval_ms = 1000 * tonumber(os.getenv("CONNS") or "8") / tonumber(os.getenv("RATE") or "2000")

function init(_)
  common.init_thread()
end

function delay()
  return interval_ms
end

function request()
  return common.put_request()
end

function response(status, headers, body)
  common.response(status, headers, body, false)
end
