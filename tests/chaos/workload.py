"""Concurrent boto3 workload whose invariants are carried by the data, with a history log.

Two tables, created once in region 0 and replicated everywhere:

    MERGE table (tag meridian:conflict = merge), key pk (S):
      ctr-K   attribute n: `ADD n :d` with d in -3..5 (d != 0) from every region -> a
              PN-counter that must equal the sum of acknowledged deltas
      set-K   attribute m (SS): `ADD m :{e}` of an element unique to the run, and
              sometimes `DELETE m :{e}` of an element this thread added and saw acknowledged
    LWW table (tag meridian:conflict = lww), key pk (S):
      u-R-T-N keys owned by one thread (puts, overwrites, deletes in sequence)
      hot-K   keys every thread of every region overwrites (conflicting LWW writes)
      tpa-K, tpb-K  transaction pairs: one TransactWriteItems puts the same fresh value in
              both (two partitions) from any region; TransactGetItems of a pair, in any
              region at any time, must see both items equal ("txnread" records a torn read)

Every operation is appended to a JSON-lines history: id, op, region, table, key, value or
delta or element, start/end (wall clock, s), outcome:
    ok       the server acknowledged it
    failed   definitely not applied (HTTP 4xx, or the TCP connection could not be made)
    unknown  may or may not have been applied (timeout, reset, 5xx)
"""
from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError,
                                 EndpointConnectionError)

import meridian_testlib as mt

MERGE_TABLE = "chaos_merge"
LWW_TABLE = "chaos_lww"
N_COUNTERS = 8
N_SETS = 4
N_HOT = 4
N_PAIRS = 3

# op -> weight
MIX = {"add": 34, "sadd": 18, "sdel": 6, "put": 20, "overwrite": 8, "del": 4, "hot": 10,
       "txn": 8, "txnread": 6}


def classify(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return "failed" if 400 <= status < 500 else "unknown"
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
        return "failed"  # never reached the server
    return "unknown"


class History:
    """Thread-safe, append-only operation log (memory + JSON-lines file)."""

    def __init__(self, path: Path | None):
        self.ops: list[dict] = []
        self._lock = threading.Lock()
        self._f = open(path, "a", buffering=1) if path else None

    def record(self, rec: dict) -> None:
        with self._lock:
            rec["id"] = len(self.ops)
            self.ops.append(rec)
            if self._f:
                self._f.write(json.dumps(rec, sort_keys=True) + "\n")

    def close(self) -> None:
        if self._f:
            self._f.close()

    def counts(self) -> dict:
        out: dict = {}
        with self._lock:
            for r in self.ops:
                k = (r["region"], r["outcome"])
                out[k] = out.get(k, 0) + 1
        return out

    @staticmethod
    def load(path: Path) -> list[dict]:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]


def create_tables(client, clients, timeout: float = 30.0) -> None:
    for name, policy in ((MERGE_TABLE, "merge"), (LWW_TABLE, "lww")):
        client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            **mt.key_schema(("pk", "S")),
                            StreamSpecification={"StreamEnabled": True,
                                                 "StreamViewType": "NEW_AND_OLD_IMAGES"},
                            Tags=[{"Key": "meridian:conflict", "Value": policy}])
    deadline = time.monotonic() + timeout
    for c in clients:
        for name in (MERGE_TABLE, LWW_TABLE):
            while True:
                try:
                    if c.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE":
                        break
                except ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{name} not ACTIVE everywhere after {timeout}s")
                time.sleep(0.05)


class Workload:
    """threads_per_region writer threads per region, each at most `rate` ops/s.

    start() / pause() (returns once no operation is in flight) / resume() / stop()."""

    def __init__(self, region_names, api_urls, history: History, threads_per_region: int = 3,
                 rate: float = 8.0, seed: int = 0, timeout: float = 10.0):
        self.region_names = list(region_names)
        self.api_urls = list(api_urls)
        self.history = history
        self.tpr = threads_per_region
        self.rate = rate
        self.seed = seed
        self.timeout = timeout
        self._run = threading.Event()
        self._stop = threading.Event()
        self._cv = threading.Condition()
        self._busy = 0
        self._threads: list[threading.Thread] = []
        self.errors: list[str] = []  # unexpected exceptions inside the workload itself

    def _client(self, url: str):
        cfg = mt.client_config(pool=4).merge(
            mt.Config(connect_timeout=2, read_timeout=self.timeout))
        import boto3
        return boto3.session.Session().client(
            "dynamodb", region_name=mt.REGION, endpoint_url=url, config=cfg,
            aws_access_key_id=mt.DUMMY_ACCESS_KEY, aws_secret_access_key=mt.DUMMY_SECRET_KEY)

    def start(self) -> None:
        self._run.set()
        for r in range(len(self.region_names)):
            for t in range(self.tpr):
                th = threading.Thread(target=self._worker, args=(r, t), daemon=True,
                                      name=f"wl-{self.region_names[r]}-{t}")
                self._threads.append(th)
                th.start()

    def pause(self, timeout: float = 60.0) -> None:
        self._run.clear()
        with self._cv:
            if not self._cv.wait_for(lambda: self._busy == 0, timeout):
                raise AssertionError(f"workload did not quiesce in {timeout}s")

    def resume(self) -> None:
        self._run.set()

    def stop(self) -> None:
        self._stop.set()
        self._run.set()
        for th in self._threads:
            th.join(timeout=self.timeout + 10)

    # -- one writer thread
    def _worker(self, r: int, t: int) -> None:
        region = self.region_names[r]
        rng = random.Random(f"{self.seed}-{r}-{t}")
        client = self._client(self.api_urls[r])
        owned: dict[str, str | None] = {}   # own lww keys -> last value written
        acked_elems: list[tuple[str, str]] = []
        seq = 0
        ops, weights = zip(*MIX.items())
        next_at = time.monotonic()
        while not self._stop.is_set():
            if not self._run.is_set():
                self._run.wait()
                next_at = time.monotonic()
                continue
            with self._cv:
                if not self._run.is_set():
                    continue
                self._busy += 1
            try:
                seq += 1
                op = rng.choices(ops, weights)[0]
                self._one(client, rng, region, r, t, seq, op, owned, acked_elems)
            except Exception as e:  # noqa: BLE001 - a bug in the workload, not the server
                self.errors.append(f"{region}/{t}: {type(e).__name__}: {e}")
            finally:
                with self._cv:
                    self._busy -= 1
                    self._cv.notify_all()
            next_at += 1.0 / self.rate
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()

    def _one(self, client, rng, region, r, t, seq, op, owned, acked_elems) -> None:
        tag = f"{r}-{t}-{seq}"
        if op == "sdel" and not acked_elems:
            op = "sadd"
        if op in ("overwrite", "del") and not [k for k, v in owned.items() if v is not None]:
            op = "put"
        if op == "add":
            key, delta = f"ctr-{rng.randrange(N_COUNTERS)}", rng.choice([-3, -2, -1, 1, 2, 3, 4, 5])
            rec = dict(op="add", table=MERGE_TABLE, key=key, delta=delta)
            call = lambda: client.update_item(  # noqa: E731
                TableName=MERGE_TABLE, Key={"pk": mt.S(key)}, UpdateExpression="ADD n :d",
                ExpressionAttributeValues={":d": mt.N(delta)})
        elif op == "sadd":
            key, elem = f"set-{rng.randrange(N_SETS)}", f"e-{tag}"
            rec = dict(op="sadd", table=MERGE_TABLE, key=key, elem=elem)
            call = lambda: client.update_item(  # noqa: E731
                TableName=MERGE_TABLE, Key={"pk": mt.S(key)}, UpdateExpression="ADD m :e",
                ExpressionAttributeValues={":e": {"SS": [elem]}})
        elif op == "sdel":
            key, elem = acked_elems.pop(rng.randrange(len(acked_elems)))
            rec = dict(op="sdel", table=MERGE_TABLE, key=key, elem=elem)
            call = lambda: client.update_item(  # noqa: E731
                TableName=MERGE_TABLE, Key={"pk": mt.S(key)}, UpdateExpression="DELETE m :e",
                ExpressionAttributeValues={":e": {"SS": [elem]}})
        elif op in ("put", "overwrite", "hot"):
            if op == "put":
                key = f"u-{r}-{t}-{seq}"
            elif op == "overwrite":
                key = rng.choice([k for k, v in owned.items() if v is not None])
            else:
                key = f"hot-{rng.randrange(N_HOT)}"
            value = f"v-{tag}"
            rec = dict(op="put", table=LWW_TABLE, key=key, value=value)
            call = lambda: client.put_item(  # noqa: E731
                TableName=LWW_TABLE, Item={"pk": mt.S(key), "v": mt.S(value)})
        elif op == "txn":
            pair, value = rng.randrange(N_PAIRS), f"t-{tag}"
            rec = dict(op="txn", table=LWW_TABLE, key=f"tp-{pair}", value=value)
            call = lambda: client.transact_write_items(TransactItems=[  # noqa: E731
                {"Put": {"TableName": LWW_TABLE, "Item": {"pk": mt.S(f"tp{side}-{pair}"),
                                                          "v": mt.S(value)}}}
                for side in ("a", "b")])
        elif op == "txnread":
            pair = rng.randrange(N_PAIRS)
            rec = dict(op="txnread", table=LWW_TABLE, key=f"tp-{pair}")

            def call():
                got = client.transact_get_items(TransactItems=[
                    {"Get": {"TableName": LWW_TABLE, "Key": {"pk": mt.S(f"tp{side}-{pair}")}}}
                    for side in ("a", "b")])["Responses"]
                rec["seen"] = [r.get("Item", {}).get("v", {}).get("S") for r in got]
        else:  # del
            key = rng.choice([k for k, v in owned.items() if v is not None])
            rec = dict(op="del", table=LWW_TABLE, key=key)
            call = lambda: client.delete_item(TableName=LWW_TABLE, Key={"pk": mt.S(key)})  # noqa: E731
        rec.update(region=region, thread=f"{r}-{t}", start=time.time())
        try:
            call()
            rec["outcome"] = "ok"
        except (ClientError, BotoCoreError) as e:
            rec["outcome"] = classify(e)
            rec["error"] = f"{type(e).__name__}: {e}"[:300]
        rec["end"] = time.time()
        self.history.record(rec)
        if rec["outcome"] == "ok":
            if op == "sadd":
                acked_elems.append((rec["key"], rec["elem"]))
            elif rec["op"] == "put" and not key.startswith("hot-"):
                owned[key] = rec["value"]
            elif rec["op"] == "del":
                owned[key] = None
        elif rec["op"] == "put" and op == "put":
            owned.setdefault(key, None)  # unknown/failed first put: never overwrite it
