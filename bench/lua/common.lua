-- Shared helpers for Meridian's wrk workloads (loaded with dofile by each workload).
--
-- Environment (read in every wrk thread):
--   BENCH_TABLE  table name            (default "bench")
--   BENCH_ITEMS  key space size        (default 100000; keys k000000 .. k099999)
--
-- Every workload counts non-2xx responses itself (wrk's own "Non-2xx or 3xx"
-- line ignores 3xx) and prints one machine-readable line from done():
--   MERIDIAN_RESULT requests=.. duration_s=.. rps=.. p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=..
--                   non2xx=.. sock_connect=.. sock_read=.. sock_write=.. sock_timeout=.. misses=..
-- Defining response() makes wrk parse every reply, which disables some of its
-- pipelining shortcuts; that is acceptable for these workloads.

local M = {}

M.table_name = os.getenv("BENCH_TABLE") or "bench"
M.items = tonumber(os.getenv("BENCH_ITEMS") or "100000")

local threads = {}
local next_id = 0

-- setup() runs in the main Lua state once per thread, before the threads start.
function M.setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

-- Called from init() in each thread's own Lua state.
function M.init_thread()
  -- A different seed in each thread, so threads do not replay the same key sequence.
  local seed = (os.time() * 1000003 + (id or 0) * 7919 + math.floor(os.clock() * 1e6)) % 2147483647
  math.randomseed(seed)
  for _ = 1, 10 do math.random() end
  non2xx = 0
  misses = 0
end

function M.random_key()
  return string.format("k%06d", math.random(0, M.items - 1))
end

-- A syntactically valid but unsigned SigV4 Authorization header, for servers that
-- insist on one being present (same as bench/preload.py sends).
local AUTH = "AWS4-HMAC-SHA256 Credential=AKIDMERIDIANBENCH/20240101/us-east-1/dynamodb/aws4_request, " ..
  "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" .. string.rep("0", 64)

local function headers(op)
  return {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "DynamoDB_20120810." .. op,
    ["X-Amz-Date"] = "20240101T000000Z",
    ["Authorization"] = AUTH,
  }
end

local HEADERS = {
  PutItem = headers("PutItem"),
  GetItem = headers("GetItem"),
  UpdateItem = headers("UpdateItem"),
}

local payload = string.rep("x", 100)

function M.put_request()
  local body = string.format(
    '{"TableName":"%s","Item":{"pk":{"S":"%s"},"val":{"S":"%s"},"n":{"N":"%d"}}}',
    M.table_name, M.random_key(), payload, math.random(0, 1000000))
  return wrk.format("POST", "/", HEADERS.PutItem, body)
end

function M.get_request()
  local body = string.format('{"TableName":"%s","Key":{"pk":{"S":"%s"}}}', M.table_name, M.random_key())
  return wrk.format("POST", "/", HEADERS.GetItem, body)
end

function M.update_add_request()
  local body = string.format(
    '{"TableName":"%s","Key":{"pk":{"S":"%s"}},"UpdateExpression":"ADD #n :one",' ..
    '"ExpressionAttributeNames":{"#n":"n"},"ExpressionAttributeValues":{":one":{"N":"1"}}}',
    M.table_name, M.random_key())
  return wrk.format("POST", "/", HEADERS.UpdateItem, body)
end

-- response hook: count failures; for reads also count replies without an Item.
function M.response(status, _, body, is_read)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif is_read and body and not string.find(body, '"Item"', 1, true) then
    misses = misses + 1
  end
end

function M.done(summary, latency, _)
  local total_non2xx, total_misses = 0, 0
  for _, t in ipairs(threads) do
    total_non2xx = total_non2xx + (t:get("non2xx") or 0)
    total_misses = total_misses + (t:get("misses") or 0)
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "MERIDIAN_RESULT requests=%d duration_s=%.2f rps=%.1f p50_us=%d p90_us=%d p99_us=%d p999_us=%d " ..
    "max_us=%d non2xx=%d sock_connect=%d sock_read=%d sock_write=%d sock_timeout=%d misses=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max,
    total_non2xx, e.connect, e.read, e.write, e.timeout, total_misses))
end

return M
