-- wrk workload: replays the signed requests of PRESIGNED_FILE (bench/presign.py), each
-- thread from its own offset; IS_READ=1 counts replies without an Item as misses.
-- Usage: PRESIGNED_FILE=/tmp/get.req wrk -t2 -c32 -d20s --latency -s bench/lua/presigned.lua URL
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local function load(path)
  local f = assert(io.open(path, "rb"), "PRESIGNED_FILE not readable: " .. tostring(path))
  local data = f:read("*a")
  f:close()
  local out, pos = {}, 1
  while pos <= #data do
    local nl = assert(string.find(data, "\n", pos, true), "bad PRESIGNED_FILE")
    local n = tonumber(string.sub(data, pos, nl - 1))
    out[#out + 1] = string.sub(data, nl + 1, nl + n)
    pos = nl + 1 + n
  end
  assert(#out > 0, "PRESIGNED_FILE holds no request")
  return out
end

local requests, next_index
common.install(function()
  next_index = next_index % #requests + 1
  return requests[next_index]
end, os.getenv("IS_READ") == "1")
local base_init = init
init = function(args)
  base_init(args)
  requests = load(os.getenv("PRESIGNED_FILE"))
  next_index = ((id or 1) * 7919) % #requests
end
