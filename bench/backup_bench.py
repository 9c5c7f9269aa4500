#!/usr/bin/env python3
"""Backup and restore rates for a table of 1M items, and what a backup costs writers (issue 21).

    /usr/bin/python3 bench/backup_bench.py                 # 1,000,000 items
    /usr/bin/python3 bench/backup_bench.py --items 200000 --rounds 1

Starts its own meridiand (pinned to --server-cpu) on a fresh data dir, preloads the table
with bench/preload.py (items of ~130 bytes, as bench/lua/put.lua writes), then:
  1. backup alone: CreateBackup, polled every 20 ms until AVAILABLE -> items/s and MB/s;
  2. writers alone: five consecutive 1-second `wrk` runs of PutItem (bench/lua/put.lua, on
     --client-cpu) right before and five right after (3) -> the median requests/s;
  3. backup under load: the same 1-second wrk runs while a backup is taken (a poller
     records when it is AVAILABLE) -> backup time, and the writers' median requests/s during
     it as a share of (2);
  4. restore: RestoreTableFromBackup, polled until the table is ACTIVE -> items/s and MB/s,
     and the restored table's ItemCount checked against the source's.
Targets (issue 21): a backup of 1M items < 10 s; writes keep >= 70 % of their throughput.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(endpoint: str, op: str, body: dict) -> dict:
    req = urllib.request.Request(
        endpoint, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/x-amz-json-1.0",
                 "X-Amz-Target": "DynamoDB_20120810." + op})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{op}: {e.code} {e.read()[:300]!r}") from None


def wrk_second(endpoint: str, cpu: int) -> float:
    """One 1-second PutItem run; its requests/s (0 on errors in the replies)."""
    out = subprocess.run(
        ["taskset", "-c", str(cpu), "wrk", "-t2", "-c32", "-d1s", "-s",
         str(REPO / "bench/lua/put.lua"), endpoint + "/"],
        capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError("wrk printed no rate:\n" + out)


def wait_backup(endpoint: str, arn: str, poll: float = 0.02) -> float:
    while True:
        d = call(endpoint, "DescribeBackup", {"BackupArn": arn})["BackupDescription"]
        if d["BackupDetails"]["BackupStatus"] == "AVAILABLE":
            return time.monotonic()
        time.sleep(poll)


def backup_size(endpoint: str, arn: str) -> int:
    d = call(endpoint, "DescribeBackup", {"BackupArn": arn})["BackupDescription"]
    return int(d["BackupDetails"]["BackupSizeBytes"])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    args = ap.parse_args()
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (tools/install-deps.sh installs it)")
    work = Path(tempfile.mkdtemp(prefix="meridian-backup-bench."))
    port, admin = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = open(work / "meridiand.log", "w")
    server = subprocess.Popen(
        ["taskset", "-c", str(args.server_cpu), str(REPO / "build/bin/meridiand"),
         "--region", "us-east-1", "--data-dir", str(work / "data"),
         "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{admin}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        t = time.monotonic()
        subprocess.run(["taskset", "-c", str(args.client_cpu), sys.executable,
                        str(REPO / "bench/preload.py"), "--endpoint", endpoint,
                        "--items", str(args.items)], check=True)
        print(f"preloaded {args.items} items in {time.monotonic() - t:.1f} s", flush=True)
        os.environ["BENCH_ITEMS"] = str(args.items)
        time.sleep(10)  # let the preload's flushes and compactions settle
        results = []
        for r in range(1, args.rounds + 1):
            # 2. writers alone, before (and after) the backup under load
            base = [wrk_second(endpoint, args.client_cpu) for _ in range(5)]
            # 3. backup under load
            done: list[float] = []
            t0 = time.monotonic()
            arn2 = call(endpoint, "CreateBackup", {"TableName": "bench", "BackupName": f"load{r}"})[
                "BackupDetails"]["BackupArn"]
            poller = threading.Thread(target=lambda: done.append(wait_backup(endpoint, arn2, 0.05)))
            poller.start()
            loaded = []
            while not done:
                loaded.append(wrk_second(endpoint, args.client_cpu))
            poller.join()
            under_load_s = done[0] - t0
            base += [wrk_second(endpoint, args.client_cpu) for _ in range(5)]
            time.sleep(2)
            # 1. backup alone
            t0 = time.monotonic()
            arn = call(endpoint, "CreateBackup", {"TableName": "bench", "BackupName": f"alone{r}"})[
                "BackupDetails"]["BackupArn"]
            alone_s = wait_backup(endpoint, arn) - t0
            size = backup_size(endpoint, arn)
            # 4. restore
            target = f"restored{r}"
            t0 = time.monotonic()
            call(endpoint, "RestoreTableFromBackup", {"TargetTableName": target, "BackupArn": arn})
            while call(endpoint, "DescribeTable", {"TableName": target})["Table"]["TableStatus"] != "ACTIVE":
                time.sleep(0.05)
            restore_s = time.monotonic() - t0
            count = call(endpoint, "DescribeTable", {"TableName": target})["Table"]["ItemCount"]
            call(endpoint, "DeleteTable", {"TableName": target})
            for a in (arn, arn2):
                call(endpoint, "DeleteBackup", {"BackupArn": a})
            row = dict(round=r, size_mb=size / 1e6, alone_s=alone_s, under_load_s=under_load_s,
                       base=statistics.median(base), loaded=statistics.median(loaded),
                       loaded_runs=len(loaded), restore_s=restore_s, restored_items=count)
            results.append(row)
            print(f"round {r}: backup {size / 1e6:.1f} MB alone {alone_s:.2f} s "
                  f"({args.items / alone_s:,.0f} items/s, {size / 1e6 / alone_s:.1f} MB/s); "
                  f"under load {under_load_s:.2f} s; puts {row['base']:,.0f}/s alone, "
                  f"{row['loaded']:,.0f}/s during the backup ({row['loaded'] / row['base']:.1%}, "
                  f"{len(loaded)} one-second runs); restore {restore_s:.2f} s "
                  f"({args.items / restore_s:,.0f} items/s, {size / 1e6 / restore_s:.1f} MB/s), "
                  f"{count} items restored", flush=True)
            if count != args.items:
                print(f"ERROR: restored {count} items, expected {args.items}", file=sys.stderr)
                return 2
        med = lambda k: statistics.median(x[k] for x in results)  # noqa: E731
        print(f"\nmedians over {len(results)} rounds, {args.items} items:")
        print(f"  backup alone        {med('alone_s'):.2f} s  {args.items / med('alone_s'):,.0f} items/s  "
              f"{med('size_mb') / med('alone_s'):.1f} MB/s  (target < 10 s)")
        print(f"  backup under load   {med('under_load_s'):.2f} s")
        print(f"  puts during backup  {med('loaded'):,.0f}/s of {med('base'):,.0f}/s = "
              f"{statistics.median(x['loaded'] / x['base'] for x in results):.1%}  (target >= 70 %)")
        print(f"  restore             {med('restore_s'):.2f} s  {args.items / med('restore_s'):,.0f} items/s  "
              f"{med('size_mb') / med('restore_s'):.1f} MB/s")
        return 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
