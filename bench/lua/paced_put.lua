-- wrk workload: PutItem of a random key at a fixed rate, open loop (for replication lag runs).
-- Environment: RATE (requests/s of each wrk thread, default 2000; the benches run -t1),
-- plus common.lua's BENCH_TABLE / BENCH_ITEMS.
-- Requests are due every 1/RATE s on one schedule shared by the thread's connections (wrk's
-- delay() hook, monotonic clock through LuaJIT's FFI), so a slow reply does not lower the
-- offered rate as long as a connection is free: give wrk enough of them (-c) to cover the
-- latency. A schedule more than 100 ms behind is reset rather than caught up in a burst.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
local ffi = require("ffi")

ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } meridian_timespec;
int clock_gettime(int clock_id, meridian_timespec* tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("meridian_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

setup = common.setup
done = common.done

local interval_ms = 1000 / tonumber(os.getenv("RATE") or "2000")
local next_due = nil

function init(_)
  common.init_thread()
end

function delay()
  local now = now_ms()
  if next_due == nil or next_due < now - 100 then next_due = now end
  local wait = next_due - now
  next_due = next_due + interval_ms
  return math.floor(wait)
end

function request()
  return common.put_request()
end

function response(status, headers, body)
  common.response(status, headers, body, false)
end
