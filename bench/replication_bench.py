#!/usr/bin/python3
"""Replication benchmarks on a local 3-region cluster (deploy/local/cluster).

1. Lag: RATE writes/s (default 2000) in EVERY region (wrk, paced), while probes measure
   commit-at-origin -> visible-at-remote: a probe PutItem is acknowledged by its origin
   (the ack is sent after the WAL commit), then GetItem polls the other regions until it
   shows. Prints p50/p99/max over all (origin, remote) probe pairs.
2. Catch-up: one region's meridiand is stopped while the others keep writing for
   OUTAGE seconds (default 60); it is restarted and the time until it has applied every
   change is measured: records applied per second.

Usage: bench/replication_bench.py [--rate 2000] [--duration 30] [--outage 60] [--base-port 27000]
                                  [--perf FILE]
--duration 0 skips the lag phase, --outage 0 the catch-up phase. Prints CPU use by process
(lag phase) and by thread of the restarted daemon (catch-up), and how busy the machine was.
Standard library only (plus wrk). Everything runs on 127.0.0.1 in a temp dir, removed at exit.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from preload import Conn  # noqa: E402  (the benchmark's minimal keep-alive HTTP client)

CLUSTER = os.path.join(REPO, "deploy", "local", "cluster")
TABLE = "replbench"


def admin_get(url: str, path: str) -> dict:
    with urllib.request.urlopen(url + path, timeout=5) as r:
        return json.loads(r.read())


def cluster_up(base_port: int, directory: str) -> list[dict]:
    out = subprocess.run([CLUSTER, "up", "--regions", "3", "--base-port", str(base_port), "--dir", directory],
                         check=True, capture_output=True, text=True).stdout
    regions = []
    for line in out.strip().splitlines():
        name, api, admin = line.split()
        regions.append({"name": name, "api": api.split("=", 1)[1], "admin": admin.split("=", 1)[1],
                        "dir": os.path.join(directory, name)})
    return regions


def wait_table(regions: list[dict]) -> None:
    deadline = time.time() + 30
    for r in regions:
        c = Conn(r["api"])
        while True:
            status, _ = c.call("DescribeTable", {"TableName": TABLE})
            if status == 200:
                break
            if time.time() > deadline:
                sys.exit(f"table did not reach {r['name']}")
            time.sleep(0.05)


def start_load(regions: list[dict], rate: int, seconds: float, only=None) -> list[subprocess.Popen]:
    env = dict(os.environ, RATE=str(rate), BENCH_TABLE=TABLE, BENCH_ITEMS="100000")
    procs = []
    for i, r in enumerate(regions):
        if only is not None and i not in only:
            continue
        procs.append(subprocess.Popen(
            ["wrk", "-t1", "-c32", f"-d{int(seconds)}s", "-s", os.path.join(HERE, "lua", "paced_put.lua"), r["api"] + "/"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    return procs


def load_result(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate()
    for line in out.splitlines():
        if line.startswith("MERIDIAN_RESULT"):
            return dict(kv.split("=", 1) for kv in line.split()[1:])
    return {"raw": out[-300:]}


def probe_lag(regions: list[dict], seconds: float) -> list[float]:
    conns = [Conn(r["api"]) for r in regions]
    samples: list[float] = []
    n = 0
    end = time.time() + seconds
    while time.time() < end:
        origin = n % len(regions)
        key = f"probe-{n}"
        n += 1
        status, body = conns[origin].call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": key}}})
        if status != 200:
            print(f"probe put failed: {status} {body[:200]!r}", file=sys.stderr)
            continue
        acked = time.perf_counter()
        pending = [i for i in range(len(regions)) if i != origin]
        deadline = acked + 10
        while pending and time.perf_counter() < deadline:
            for i in list(pending):
                status, body = conns[i].call("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": key}}})
                if status == 200 and b'"Item"' in body:
                    samples.append((time.perf_counter() - acked) * 1000)
                    pending.remove(i)
        if pending:
            print(f"probe {key} not visible in {pending} after 10 s", file=sys.stderr)
        time.sleep(0.01)
    return samples


def lag_phase(regions: list[dict], rate: int, seconds: float) -> None:
    loads = start_load(regions, rate, seconds + 2)
    time.sleep(1)
    busy0, cpu0 = machine_busy(), process_cpu()
    samples = probe_lag(regions, seconds)
    busy1, cpu1 = machine_busy(), process_cpu()
    results = [load_result(p) for p in loads]
    print(f"replication lag: {len(samples)} probe pairs, load {rate}/s offered per region, "
          f"achieved " + ", ".join(f"{r['name']}={res.get('rps', '?')}/s (non2xx {res.get('non2xx', '?')})"
                                    for r, res in zip(regions, results))
          + f"; PutItem p50/p99 {int(results[0].get('p50_us', 0)) / 1000:.1f}/{int(results[0].get('p99_us', 0)) / 1000:.1f} ms"
          f" in {regions[0]['name']}; all CPUs of the machine {100 * (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]):.0f} % busy")
    used = sorted(cpu_by_name(cpu1, cpu0).items(), key=lambda kv: -kv[1])
    print("  CPU seconds by process during the probes: " + ", ".join(f"{k} {v:.1f}" for k, v in used if v >= 0.2))
    if samples:
        print(f"  lag ms: p50 {pct(samples, 50):.2f}  p99 {pct(samples, 99):.2f}  max {max(samples):.2f}  "
              f"mean {statistics.mean(samples):.2f}")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def restart_cmdline(pid_file: str) -> tuple[list[str], str]:
    pid = int(open(pid_file).read().strip())
    argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[:-1]
    cwd = os.readlink(f"/proc/{pid}/cwd")
    return [a.decode() for a in argv], cwd


def cpu_by_id(directory: str) -> dict[str, tuple[str, float]]:
    """(command name, CPU seconds user+system so far) of every <id>/stat under `directory`:
    /proc for processes, /proc/<pid>/task for one process's threads."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, tuple[str, float]] = {}
    for entry in filter(str.isdigit, os.listdir(directory)):
        try:
            stat = open(f"{directory}/{entry}/stat").read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        out[entry] = (stat[stat.index("(") + 1:stat.rindex(")")], (int(fields[11]) + int(fields[12])) / tick)
    return out


def cpu_by_name(now: dict, before: dict | None = None) -> dict[str, float]:
    """CPU seconds per command name used since `before` (ids compared: kernel workers rename)."""
    out: dict[str, float] = {}
    for key, (name, seconds) in now.items():
        out[name] = out.get(name, 0.0) + seconds - (before or {}).get(key, (name, 0.0))[1]
    return out


def thread_cpu(pid: int) -> dict[str, float]:
    return cpu_by_name(cpu_by_id(f"/proc/{pid}/task"))


def minor_faults(pid: int) -> int:
    """Page faults served without I/O (mostly first touches of fresh memory) of a process."""
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[7])


def process_cpu() -> dict[str, tuple[str, float]]:
    return cpu_by_id("/proc")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=2000, help="writes/s in each region")
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--outage", type=float, default=60)
    ap.add_argument("--base-port", type=int, default=27000)
    ap.add_argument("--perf", metavar="FILE", help="run the restarted region under perf record -g -o FILE")
    args = ap.parse_args()
    directory = tempfile.mkdtemp(prefix="meridian-replbench-")
    restarted = None
    try:
        regions = cluster_up(args.base_port, directory)
        Conn(regions[0]["api"]).call("CreateTable", {
            "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
        wait_table(regions)

        # ---- 1. lag under load in every region (skipped with --duration 0) ----
        if args.duration > 0:
            lag_phase(regions, args.rate, args.duration)

        # ---- 2. catch-up after an outage (skipped with --outage 0) ----
        if args.outage <= 0:
            return
        victim = regions[2]
        argv, cwd = restart_cmdline(os.path.join(victim["dir"], "meridiand.pid"))
        if args.perf:
            argv = ["perf", "record", "-g", "-o", os.path.abspath(args.perf), "--"] + argv
        before = admin_get(victim["admin"], "/regionz")["applied"]
        os.kill(int(open(os.path.join(victim["dir"], "meridiand.pid")).read()), signal.SIGTERM)
        time.sleep(1)
        loads = start_load(regions, args.rate, args.outage, only={0, 1})
        for p in loads:
            load_result(p)
        heads = {str(i + 1): admin_get(r["admin"], "/regionz")["head_seq"] for i, r in enumerate(regions[:2])}
        missed = sum(heads[k] - before.get(k, 0) for k in heads)
        log = open(os.path.join(victim["dir"], "meridiand.log"), "ab")
        busy0 = machine_busy()
        t0 = time.perf_counter()
        restarted = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=log, start_new_session=True)
        t_up = t_first = None  # admin port answering; first change applied
        while True:
            try:
                applied = admin_get(victim["admin"], "/regionz")["applied"]
                now = time.perf_counter()
                t_up = t_up or now
                if t_first is None and any(applied.get(k, 0) > before.get(k, 0) for k in heads):
                    t_first = now
                if all(applied.get(k, 0) >= v for k, v in heads.items()):
                    break
            except OSError:
                pass
            if time.perf_counter() - t0 > 600:
                sys.exit("catch-up did not finish in 600 s")
            time.sleep(0.05)
        took = time.perf_counter() - t0
        busy1 = machine_busy()
        print(f"catch-up: {missed} records missed during a {args.outage:.0f} s outage, applied in {took:.2f} s "
              f"after restart (incl. daemon start): {missed / took:,.0f} records/s")
        if not args.perf:
            cpu = sorted(thread_cpu(restarted.pid).items(), key=lambda kv: -kv[1])
            print("  CPU seconds by thread: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu if v >= 0.05)
                  + f"; all CPUs of the machine {100 * (busy1[0] - busy0[0]) / (busy1[1] - busy0[1]):.0f} % busy"
                  + f"; daemon page faults {minor_faults(restarted.pid):,}")
        if t_up and t_first:
            print(f"  daemon answering after {t_up - t0:.2f} s, first change applied after {t_first - t0:.2f} s; "
                  f"from then on {missed / (t0 + took - t_first):,.0f} records/s (+-50 ms polling)")
    finally:
        if restarted and restarted.poll() is None:
            restarted.terminate()
            try:
                restarted.wait(timeout=20)
            except subprocess.TimeoutExpired:
                restarted.kill()
        subprocess.run([CLUSTER, "down", "--dir", directory, "--purge"], capture_output=True)
        subprocess.run(["rm", "-rf", directory])


if __name__ == "__main__":
    main()
