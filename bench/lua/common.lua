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
  TransactWriteItems = headers("TransactWriteItems"),
  TransactGetItems = headers("TransactGetItems"),
  ExecuteStatement = headers("ExecuteStatement"),
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

-- ExecuteStatement SELECT by key: what GetItem reads, as PartiQL (a parameter, as the SDKs'
-- users write it).
function M.pql_get_request()
  local body = string.format(
    '{"Statement":"SELECT * FROM \\"%s\\" WHERE pk = ?","Parameters":[{"S":"%s"}]}',
    M.table_name, M.random_key())
  return wrk.format("POST", "/", HEADERS.ExecuteStatement, body)
end

function M.update_add_request()
  local body = string.format(
    '{"TableName":"%s","Key":{"pk":{"S":"%s"}},"UpdateExpression":"ADD #n :one",' ..
    '"ExpressionAttributeNames":{"#n":"n"},"ExpressionAttributeValues":{":one":{"N":"1"}}}',
    M.table_name, M.random_key())
  return wrk.format("POST", "/", HEADERS.UpdateItem, body)
end

-- `n` distinct random keys (consecutive from a random start: a transaction may not name
-- one item twice).
local function distinct_keys(n)
  local start = math.random(0, M.items - 1)
  local keys = {}
  for i = 0, n - 1 do keys[#keys + 1] = string.format("k%06d", (start + i * 7919) % M.items) end
  return keys
end

-- A ClientRequestToken as the AWS SDKs send with every transaction (a fresh UUID);
-- TXN_NO_TOKEN=1 leaves it out (to measure what the token costs).
local function token()
  return string.format("%08x-%04x-4%03x-8%03x-%012x", math.random(0, 0x7fffffff),
    math.random(0, 0xffff), math.random(0, 0xfff), math.random(0, 0xfff),
    math.random(0, 0x7fffffff) * 65536 + math.random(0, 0xffff))
end

-- TransactWriteItems putting `n` items.
function M.txn_write_request(n)
  local puts = {}
  for _, key in ipairs(distinct_keys(n)) do
    puts[#puts + 1] = string.format(
      '{"Put":{"TableName":"%s","Item":{"pk":{"S":"%s"},"val":{"S":"%s"},"n":{"N":"%d"}}}}',
      M.table_name, key, payload, math.random(0, 1000000))
  end
  local body
  if os.getenv("TXN_NO_TOKEN") then
    body = string.format('{"TransactItems":[%s]}', table.concat(puts, ","))
  else
    body = string.format('{"ClientRequestToken":"%s","TransactItems":[%s]}', token(),
      table.concat(puts, ","))
  end
  return wrk.format("POST", "/", HEADERS.TransactWriteItems, body)
end

-- TransactGetItems of `n` items.
function M.txn_get_request(n)
  local gets = {}
  for _, key in ipairs(distinct_keys(n)) do
    gets[#gets + 1] = string.format('{"Get":{"TableName":"%s","Key":{"pk":{"S":"%s"}}}}',
      M.table_name, key)
  end
  local body = string.format('{"TransactItems":[%s]}', table.concat(gets, ","))
  return wrk.format("POST", "/", HEADERS.TransactGetItems, body)
end

-- response hook: count failures; for reads also count replies without an Item (`is_read`:
-- true, or the text a reply with an item holds).
function M.response(status, _, body, is_read)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif is_read and body then
    local marker = type(is_read) == "string" and is_read or '"Item"'
    if not string.find(body, marker, 1, true) then misses = misses + 1 end
  end
end

-- Defines wrk's hooks for a closed-loop workload: `make_request(common)` builds each request;
-- `is_read` counts replies without an Item as misses (see response).
function M.install(make_request, is_read)
  setup = M.setup
  done = M.done
  init = function(_) M.init_thread() end
  request = function() return make_request(M) end
  response = function(status, headers, body) M.response(status, headers, body, is_read) end
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
