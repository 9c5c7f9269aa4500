#!/usr/bin/env python3
"""Write COUNT SigV4-signed DynamoDB requests (raw HTTP/1.1) for bench/lua/presigned.lua.

Signing in the load generator's Lua would make wrk, not the server, the bottleneck; so the
requests are signed here, with botocore's own SigV4Auth (what boto3 and the AWS CLI send),
just before a run, and wrk replays them. A signature stays valid for 5 minutes of skew,
and every replay is verified in full by the server (body hash, canonical request, HMAC).

Output: for each request, its length in bytes on one line, then the request itself.
Items look like bench/lua/put.lua's; keys are uniform over BENCH_ITEMS.
"""
from __future__ import annotations

import argparse
import json
import random
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def body(op: str, table: str, key: str) -> dict:
    if op == "put":
        return {"TableName": table, "Item": {"pk": {"S": key}, "val": {"S": "x" * 100},
                                             "n": {"N": str(random.randint(0, 1000000))}}}
    if op == "get":
        return {"TableName": table, "Key": {"pk": {"S": key}}}
    raise SystemExit(f"unknown op {op}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--op", choices=["put", "get"], required=True)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--items", type=int, default=100000)
    ap.add_argument("--table", default="bench")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--key-id", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    host = urllib.parse.urlsplit(a.endpoint).netloc
    signer = SigV4Auth(Credentials(a.key_id, a.secret), "dynamodb", a.region)
    target = {"put": "PutItem", "get": "GetItem"}[a.op]
    with open(a.out, "wb") as out:
        for _ in range(a.count):
            data = json.dumps(body(a.op, a.table, f"k{random.randrange(a.items):06d}"),
                              separators=(",", ":")).encode()
            req = AWSRequest(method="POST", url=a.endpoint + "/", data=data, headers={
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "DynamoDB_20120810." + target})
            signer.add_auth(req)
            head = ["POST / HTTP/1.1", f"Host: {host}"]
            head += [f"{k}: {v}" for k, v in req.headers.items() if k.lower() != "host"]
            head.append(f"Content-Length: {len(data)}")
            raw = ("\r\n".join(head) + "\r\n\r\n").encode() + data
            out.write(f"{len(raw)}\n".encode() + raw)


if __name__ == "__main__":
    main()
