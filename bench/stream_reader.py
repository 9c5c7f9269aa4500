#!/usr/bin/python3
"""GetRecords throughput: reads a table's stream from TRIM_HORIZON through its shards
(parents first) with GetRecords Limit=1000 over one keep-alive connection, parsing every
reply as a consumer does, and prints records/s.

    bench/stream_reader.py --endpoint http://127.0.0.1:8000 --table bench_stream
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from preload import Conn  # noqa: E402

STREAMS = "DynamoDBStreams_20120810."


def call(conn: Conn, op: str, body: dict) -> dict:
    status, raw = conn.call(STREAMS + op if "." not in op else op, body)
    if status != 200:
        sys.exit(f"stream_reader: {op} failed: {status} {raw[:300]!r}")
    return json.loads(raw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--table", default="bench_stream")
    ap.add_argument("--max-records", type=int, default=1_000_000)
    a = ap.parse_args()
    conn = Conn(a.endpoint)
    arn = json.loads(conn.call("DescribeTable", {"TableName": a.table})[1])["Table"]["LatestStreamArn"]
    shards = call(conn, "DescribeStream", {"StreamArn": arn})["StreamDescription"]["Shards"]
    records = calls = nbytes = 0
    start = time.perf_counter()
    for shard in shards:
        it = call(conn, "GetShardIterator", {"StreamArn": arn, "ShardId": shard["ShardId"],
                                             "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        while it and records < a.max_records:
            status, raw = conn.call(STREAMS + "GetRecords", {"ShardIterator": it, "Limit": 1000})
            if status != 200:
                sys.exit(f"stream_reader: GetRecords failed: {status} {raw[:300]!r}")
            reply = json.loads(raw)
            calls += 1
            nbytes += len(raw)
            got = reply["Records"]
            records += len(got)
            if not got:
                break
            it = reply.get("NextShardIterator")
    elapsed = time.perf_counter() - start
    print(f"GetRecords: {records} records in {calls} calls, {elapsed:.2f} s: "
          f"{records / elapsed:,.0f} records/s, {nbytes / elapsed / 1e6:.1f} MB/s of JSON "
          f"({len(shards)} shards)")
    print(f"MERIDIAN_RESULT records={records} calls={calls} seconds={elapsed:.3f} "
          f"records_per_s={records / elapsed:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
