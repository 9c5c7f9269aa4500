#!/usr/bin/env python3
"""Create the benchmark table and preload it with sequential keys, fast.

Items look exactly like the ones bench/lua/put.lua writes:
    {"pk": {"S": "k000123"}, "val": {"S": "xxx...(100)"}, "n": {"N": "0"}}

Several worker processes, each with several threads that keep one HTTP/1.1
keep-alive connection apiece, write contiguous slices of the key space (standard
library only: no boto3, no signing). BatchWriteItem (25 items a request) is used
when the server supports it, PutItem otherwise; the many connections keep a server
that group-commits its log busy. Exits non-zero if any item could not be written.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import socket
import sys
import threading
import time
import urllib.parse

TARGET = "DynamoDB_20120810."
# A syntactically valid but unsigned SigV4 header, for servers that insist on one
# being present. Meridian is expected to accept it (no real credentials exist).
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDMERIDIANBENCH/20240101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64)


class Conn:
    """A minimal blocking HTTP/1.1 keep-alive client.

    http.client costs several hundred microseconds of CPU per request (it parses
    headers with the email package), which made the preloader, not the server, the
    bottleneck. This sends a pre-formatted request and parses just the status line,
    Content-Length / chunked body and Connection: close.
    """

    def __init__(self, endpoint: str):
        u = urllib.parse.urlsplit(endpoint)
        self.host, self.port = u.hostname, u.port or 80
        self.sock = None
        self.buf = b""
        self.head = (f"POST / HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                     "Content-Type: application/x-amz-json-1.0\r\n"
                     "X-Amz-Date: 20240101T000000Z\r\n"
                     f"Authorization: {AUTH}\r\n").encode()

    def _connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.buf = b""

    def _read_until(self, marker: bytes) -> bytes:
        while True:
            i = self.buf.find(marker)
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + len(marker):]
                return out
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by server")
            self.buf += chunk

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("connection closed by server")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _roundtrip(self, request: bytes):
        self.sock.sendall(request)
        head = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = self._read_exact(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                parts.append(self._read_exact(size))
                self._read_exact(2)
            body = b"".join(parts)
        else:  # body delimited by connection close
            body = self.buf
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                body += chunk
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, body

    def call(self, op: str, body: dict, retries: int = 3):
        data = json.dumps(body, separators=(",", ":")).encode()
        target = op if "." in op else TARGET + op  # a whole target: another service
        request = (self.head + f"X-Amz-Target: {target}\r\nContent-Length: {len(data)}\r\n\r\n"
                   .encode() + data)
        for attempt in range(retries + 1):
            try:
                if self.sock is None:
                    self._connect()
                return self._roundtrip(request)
            except (OSError, ValueError, IndexError):
                # Dropped connection (e.g. an idle keep-alive closed by the server): reconnect.
                # A PutItem retried this way is idempotent.
                self._close()
                if attempt == retries:
                    raise
                time.sleep(0.05 * (attempt + 1))


def key(i: int) -> str:
    return f"k{i:06d}"


def ensure_table(endpoint: str, table: str, stream: str | None = None) -> None:
    c = Conn(endpoint)
    spec = {"TableName": table, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}
    if stream:
        spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    status, body = c.call("CreateTable", spec)
    if status != 200 and b"ResourceInUseException" not in body:
        sys.exit(f"preload: CreateTable failed: {status} {body[:300]!r}")
    deadline = time.time() + 120
    while time.time() < deadline:
        status, body = c.call("DescribeTable", {"TableName": table})
        if status == 200 and json.loads(body)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.2)
    sys.exit(f"preload: table {table} not ACTIVE after 120 s")


def item(i: int, val: str) -> dict:
    return {"pk": {"S": key(i)}, "val": {"S": val}, "n": {"N": "0"}}


def supports_batch(endpoint: str, table: str) -> bool:
    status, body = Conn(endpoint).call("BatchWriteItem", {"RequestItems": {table: [
        {"PutRequest": {"Item": item(0, "x" * 100)}}]}})
    return status == 200


def write_range(endpoint: str, table: str, lo: int, hi: int, batch: bool, out: list) -> None:
    c = Conn(endpoint)
    val = "x" * 100
    errors, first_error = 0, None
    i = lo
    while i < hi:
        n = min(25, hi - i) if batch else 1
        try:
            if batch:
                pending = [{"PutRequest": {"Item": item(j, val)}} for j in range(i, i + n)]
                for attempt in range(20):
                    status, body = c.call("BatchWriteItem", {"RequestItems": {table: pending}})
                    if status != 200:
                        break
                    pending = json.loads(body).get("UnprocessedItems", {}).get(table, [])
                    if not pending:
                        break
                    time.sleep(0.01 * (attempt + 1))
                if status == 200 and pending:
                    status, body = -2, f"{len(pending)} items still unprocessed".encode()
            else:
                status, body = c.call("PutItem", {"TableName": table, "Item": item(i, val)})
        except Exception as e:  # noqa: BLE001 - reported to the parent
            status, body = -1, repr(e).encode()
        if status != 200:
            errors += n
            first_error = first_error or f"{key(i)}: {status} {body[:200]!r}"
        i += n
    out.append((hi - lo, errors, first_error))


def worker(endpoint: str, table: str, lo: int, hi: int, conns: int, batch: bool, q) -> None:
    out: list = []
    step = -(-(hi - lo) // conns)
    threads = [threading.Thread(target=write_range,
                                args=(endpoint, table, a, min(hi, a + step), batch, out))
               for a in range(lo, hi, step)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q.put((sum(o[0] for o in out), sum(o[1] for o in out),
           next((o[2] for o in out if o[2]), None)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--table", default="bench")
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--stream", default=None, help="create the table with this StreamViewType")
    ap.add_argument("--workers", type=int, default=4, help="processes")
    ap.add_argument("--conns", type=int, default=8, help="connections (threads) per process")
    ap.add_argument("--no-batch", action="store_true", help="use PutItem even if BatchWriteItem works")
    ap.add_argument("--verify", type=int, default=200, help="random keys to read back afterwards")
    a = ap.parse_args()

    ensure_table(a.endpoint, a.table, a.stream)
    batch = not a.no_batch and supports_batch(a.endpoint, a.table)
    op = "BatchWriteItem" if batch else "PutItem"
    t0 = time.time()
    q = mp.Queue()
    step = -(-a.items // a.workers)
    procs = []
    for w in range(a.workers):
        lo, hi = w * step, min(a.items, (w + 1) * step)
        if lo >= hi:
            continue
        p = mp.Process(target=worker, args=(a.endpoint, a.table, lo, hi, a.conns, batch, q),
                       daemon=True)
        p.start()
        procs.append(p)
    done = errors = 0
    first_error = None
    for _ in procs:
        n, e, fe = q.get(timeout=3600)
        done, errors = done + n, errors + e
        first_error = first_error or fe
    for p in procs:
        p.join(timeout=60)
    dt = time.time() - t0
    print(f"preload: {done} items with {op} in {dt:.1f} s ({done / dt:.0f}/s), {errors} failed",
          flush=True)
    if errors:
        print(f"preload: first failure: {first_error}", file=sys.stderr)
        return 1

    c = Conn(a.endpoint)
    rnd = random.Random(42)
    for _ in range(a.verify):
        k = key(rnd.randrange(a.items))
        status, body = c.call("GetItem", {"TableName": a.table, "Key": {"pk": {"S": k}}})
        if status != 200 or json.loads(body).get("Item", {}).get("pk") != {"S": k}:
            print(f"preload: verification failed for {k}: {status} {body[:200]!r}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
