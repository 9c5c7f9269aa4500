"""Multi-region replication, end to end: a real 3-region cluster (deploy/local/cluster:
nats-server supercluster + one meridiand per region, every table global), driven over
the DynamoDB API with boto3 and observed through the admin port (/regionz, /tablez).

Run: /usr/bin/python3 -m pytest -q tests/integration/test_replication.py
"""
from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from cluster_fixture import NREGIONS, cluster  # noqa: F401  (pytest fixture)

S, N = mt.S, mt.N

# Replication on loopback takes milliseconds; these are generous upper bounds.
REPLICATE_TIMEOUT = 10.0
CONVERGE_TIMEOUT = 20.0


@pytest.fixture(autouse=True)
def _all_regions_up(cluster):  # noqa: F811
    """A test that failed half-way through a crash test must not break the next ones."""
    cluster.ensure_all_up()
    yield


def create_global_table(cluster, name: str, policy: str | None = None,  # noqa: F811
                        hash_key=("pk", "S"), origin: int = 0) -> str:
    """CreateTable in region `origin`, then wait until it is ACTIVE in every region."""
    params = dict(TableName=name, BillingMode="PAY_PER_REQUEST", **mt.key_schema(hash_key))
    if policy is not None:
        params["Tags"] = [{"Key": "meridian:conflict", "Value": policy}]
    cluster.clients[origin].create_table(**params)
    for i in range(NREGIONS):
        wait_described(cluster.clients[i], name, REPLICATE_TIMEOUT, cluster.names[i])
    return name


def wait_described(client, name: str, timeout: float, region: str) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            t = client.describe_table(TableName=name)["Table"]
            if t["TableStatus"] == "ACTIVE":
                return t
            last = t["TableStatus"]
        except ClientError as e:
            last = mt.error_code(e)
        if time.monotonic() > deadline:
            raise AssertionError(f"table {name} not ACTIVE in {region} after {timeout}s (last: {last})")
        time.sleep(0.05)


def wait_table_gone(client, name: str, timeout: float, region: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            status = client.describe_table(TableName=name)["Table"]["TableStatus"]
        except ClientError as e:
            if mt.error_code(e) == "ResourceNotFoundException":
                return
            raise
        if time.monotonic() > deadline:
            raise AssertionError(f"table {name} still described in {region} ({status}) "
                                 f"{timeout}s after DeleteTable")
        time.sleep(0.05)


def scan_sorted(client, table: str) -> list[dict]:
    items = mt.full_scan(client, TableName=table, ConsistentRead=True)
    return sorted((mt.canon(it) for it in items), key=lambda it: repr(it["pk"]))


def get(client, table: str, pk: str) -> dict | None:
    return client.get_item(TableName=table, Key={"pk": S(pk)}, ConsistentRead=True).get("Item")


def run_threads(targets) -> list[BaseException]:
    """Runs the callables concurrently (released together) and returns their exceptions."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []
    lock = threading.Lock()

    def wrap(fn):
        def run():
            try:
                barrier.wait(timeout=30)
                fn()
            except BaseException as e:  # noqa: BLE001 - reported by the test
                with lock:
                    errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(fn), daemon=True) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a writer thread hung"
    return errors


# ---------------------------------------------------------------------------------------

def test_cluster_is_up(cluster):  # noqa: F811
    assert cluster.names == ["us-east-1", "eu-west-1", "ap-southeast-1"]
    for i in range(NREGIONS):
        status, body = cluster.healthz(i)
        assert status == 200, (cluster.names[i], body)
        rz = cluster.regionz(i)
        assert rz["region"] == cluster.names[i]
        peers = {p["region"]: p for p in rz["peers"]}
        assert sorted(peers) == sorted(n for j, n in enumerate(cluster.names) if j != i)
        assert all(p["connected"] for p in peers.values()), rz


def test_ddl_replicates(cluster):  # noqa: F811
    name = mt.unique_name("repl-ddl")
    c0 = cluster.clients[0]
    c0.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **mt.key_schema(("pk", "S"), ("sk", "N")),
                    Tags=[{"Key": "meridian:conflict", "Value": "merge"}])
    mt.wait_active(c0, name)
    t0 = time.monotonic()
    for i in (1, 2):
        t = wait_described(cluster.clients[i], name, 5.0, cluster.names[i])
        assert t["TableName"] == name
        assert sorted((k["AttributeName"], k["KeyType"]) for k in t["KeySchema"]) == \
            [("pk", "HASH"), ("sk", "RANGE")]
        assert {a["AttributeName"]: a["AttributeType"] for a in t["AttributeDefinitions"]} == \
            {"pk": "S", "sk": "N"}
        assert name in cluster.clients[i].list_tables()["TableNames"]
        # the conflict policy travels with the table
        assert cluster.table_stats(i, name)["policy"] == "merge"
    replicated_in = time.monotonic() - t0

    # the replicated table is usable in a remote region
    cluster.clients[2].put_item(TableName=name, Item={"pk": S("a"), "sk": N(1), "v": S("x")})
    cluster.wait_converged(name, CONVERGE_TIMEOUT)

    c0.delete_table(TableName=name)
    for i in range(NREGIONS):
        wait_table_gone(cluster.clients[i], name, 5.0, cluster.names[i])
        assert name not in cluster.clients[i].list_tables()["TableNames"]
        assert cluster.table_stats(i, name) is None
    assert replicated_in < 5.0


def test_lww_concurrent_puts_converge(cluster):  # noqa: F811
    table = create_global_table(cluster, mt.unique_name("repl-lww"), "lww")
    nitems, nkeys = 200, 50

    def writer(r):
        client = cluster.clients[r]
        region = cluster.names[r]

        def run():
            for i in range(nitems):
                client.put_item(TableName=table, Item={
                    "pk": S(f"k{i % nkeys:02d}"),
                    "v": S(f"{region}-{i}"),
                    f"w_{r}": N(i),   # a per-region attribute: must not survive a lost write
                })
        return run

    conflicts_before = [cluster.admin(r, "/conflictz")["total"] for r in range(NREGIONS)]
    errors = run_threads([writer(r) for r in range(NREGIONS)])
    assert not errors, errors
    took = cluster.wait_converged(table, CONVERGE_TIMEOUT)
    conflicts = [cluster.admin(r, "/conflictz")["total"] - conflicts_before[r] for r in range(NREGIONS)]
    print(f"lww: converged {took:.2f}s after the writes; concurrent versions resolved per region: {conflicts}")

    scans = [scan_sorted(cluster.clients[r], table) for r in range(NREGIONS)]
    assert len(scans[0]) == nkeys
    for r in (1, 2):
        assert scans[r] == scans[0], f"{cluster.names[r]} scan differs from {cluster.names[0]}"
    digests = cluster.digests(table)
    assert len(set(digests)) == 1 and digests[0], digests
    # Whole-item last-writer-wins: each item is exactly one write of one region.
    for it in scans[0]:
        k = int(it["pk"]["S"][1:])
        region, i = it["v"]["S"].rsplit("-", 1)
        r = cluster.names.index(region)
        assert int(i) % nkeys == k, it
        assert set(it) == {"pk", "v", f"w_{r}"}, f"attributes of several writes mixed: {it}"
        assert it[f"w_{r}"] == N(int(i)), it


def test_merge_counters_count_every_add(cluster):  # noqa: F811
    table = create_global_table(cluster, mt.unique_name("repl-ctr"), "merge")
    keys = ["c0", "c1", "c2"]
    ops_per_thread = 100
    threads_per_region = 3
    acked = {k: 0 for k in keys}
    ambiguous: list[str] = []
    lock = threading.Lock()

    def worker(r, t):
        client = cluster.clients[r]

        def run():
            local = {k: 0 for k in keys}
            for j in range(ops_per_thread):
                k = keys[(j + t + r) % len(keys)]
                delta = -2 if j % 7 == 3 else 1
                try:
                    client.update_item(TableName=table, Key={"pk": S(k)},
                                       UpdateExpression="ADD n :d",
                                       ExpressionAttributeValues={":d": N(delta)})
                except ClientError as e:  # rejected by the server: not applied
                    with lock:
                        ambiguous.append(f"{cluster.names[r]}: {mt.error_code(e)} {mt.error_message(e)}")
                    continue
                local[k] += delta
            with lock:
                for k in keys:
                    acked[k] += local[k]
        return run

    errors = run_threads([worker(r, t) for r in range(NREGIONS) for t in range(threads_per_region)])
    assert not errors, errors  # a connection error would leave an ADD's outcome unknown
    assert not ambiguous, ambiguous[:5]
    cluster.wait_converged(table, CONVERGE_TIMEOUT)

    per_thread = sum(-2 if j % 7 == 3 else 1 for j in range(ops_per_thread))
    assert sum(acked.values()) == NREGIONS * threads_per_region * per_thread
    for r in range(NREGIONS):
        for k in keys:
            item = get(cluster.clients[r], table, k)
            assert item is not None, (cluster.names[r], k)
            assert item["n"] == N(acked[k]), \
                f"{cluster.names[r]} {k}: n={item['n']['N']}, acknowledged ADDs sum to {acked[k]}"
    digests = cluster.digests(table)
    assert len(set(digests)) == 1, digests


def test_merge_sets_add_wins_and_observed_delete(cluster):  # noqa: F811
    table = create_global_table(cluster, mt.unique_name("repl-set"), "merge")
    c = cluster.clients

    def add(r, pk, member):
        c[r].update_item(TableName=table, Key={"pk": S(pk)}, UpdateExpression="ADD s :m",
                         ExpressionAttributeValues={":m": {"SS": [member]}})

    def delete(r, pk, member) -> dict:
        return c[r].update_item(TableName=table, Key={"pk": S(pk)}, UpdateExpression="DELETE s :m",
                                ExpressionAttributeValues={":m": {"SS": [member]}},
                                ReturnValues="ALL_OLD").get("Attributes", {})

    # A baseline member everywhere, so the set never becomes empty.
    for pk in ("item-a", "item-b"):
        add(0, pk, "base")
    cluster.wait_converged(table, CONVERGE_TIMEOUT)

    # 1. ADD x in us-east-1 concurrently with DELETE x in eu-west-1 (which has not seen the
    #    add: checked with ALL_OLD) -> add wins, x present everywhere. First a pair where the
    #    delete certainly comes first, then pairs released together.
    members = [f"x{j}" for j in range(8)]
    seen_by_delete: dict[str, bool] = {}
    old = delete(1, "item-a", members[0])
    add(0, "item-a", members[0])
    seen_by_delete[members[0]] = members[0] in old.get("s", {}).get("SS", [])
    for m in members[1:]:
        result = {}

        def do_delete(m=m):
            result["old"] = delete(1, "item-a", m)
        errors = run_threads([lambda m=m: add(0, "item-a", m), do_delete])
        assert not errors, errors
        seen_by_delete[m] = m in result["old"].get("s", {}).get("SS", [])
    assert not seen_by_delete[members[0]]
    print(f"concurrent add/delete pairs whose delete had seen the add: "
          f"{sorted(m for m, seen in seen_by_delete.items() if seen)}")
    cluster.wait_converged(table, CONVERGE_TIMEOUT)
    for r in range(NREGIONS):
        got = set(get(c[r], table, "item-a")["s"]["SS"])
        for m in members:
            if seen_by_delete[m]:
                # the delete had observed the add: an ordinary remove
                assert m not in got, (cluster.names[r], m, got)
            else:
                assert m in got, f"{cluster.names[r]}: concurrent unseen DELETE removed {m}: {got}"
        assert "base" in got

    # 2. A member replicated everywhere, then deleted in one region, is gone everywhere.
    add(0, "item-b", "y")
    cluster.wait_converged(table, CONVERGE_TIMEOUT)
    for r in range(NREGIONS):
        assert set(get(c[r], table, "item-b")["s"]["SS"]) == {"base", "y"}, cluster.names[r]
    old = delete(2, "item-b", "y")
    assert "y" in old["s"]["SS"]
    cluster.wait_converged(table, CONVERGE_TIMEOUT)
    for r in range(NREGIONS):
        assert set(get(c[r], table, "item-b")["s"]["SS"]) == {"base"}, cluster.names[r]
    digests = cluster.digests(table)
    assert len(set(digests)) == 1, digests


def test_deletes_converge(cluster):  # noqa: F811
    table = create_global_table(cluster, mt.unique_name("repl-del"))
    c = cluster.clients
    c[0].put_item(TableName=table, Item={"pk": S("gone"), "v": S("1")})
    c[0].put_item(TableName=table, Item={"pk": S("kept"), "v": S("2")})
    cluster.wait_converged(table, CONVERGE_TIMEOUT)
    for r in range(NREGIONS):
        assert get(c[r], table, "gone") == {"pk": S("gone"), "v": S("1")}, cluster.names[r]

    c[2].delete_item(TableName=table, Key={"pk": S("gone")})
    cluster.wait_converged(table, CONVERGE_TIMEOUT)
    for r in range(NREGIONS):
        assert get(c[r], table, "gone") is None, f"deleted item still in {cluster.names[r]}"
        assert scan_sorted(c[r], table) == [{"pk": S("kept"), "v": S("2")}], cluster.names[r]
        stats = cluster.table_stats(r, table)
        assert stats["tombstones"] >= 1, (cluster.names[r], stats)
        assert stats["live_items"] == 1, (cluster.names[r], stats)
    digests = cluster.digests(table)
    assert len(set(digests)) == 1 and digests[0], digests


def test_the_deepest_documents_replicate(cluster):  # noqa: F811
    # 31 nested maps and lists: the deepest document DynamoDB accepts. It must be stored,
    # read back, shipped in a change batch and applied in every region.
    table = create_global_table(cluster, mt.unique_name("repl-deep"), policy="merge")
    deep = {"M": {}}
    for i in range(1, 31):
        deep = {"M": {"a": deep}} if i % 2 else {"L": [deep]}
    c = cluster.clients
    c[1].put_item(TableName=table, Item={"pk": S("deep"), "doc": deep})
    cluster.wait_converged(table, CONVERGE_TIMEOUT)
    for r in range(NREGIONS):
        assert get(c[r], table, "deep") == {"pk": S("deep"), "doc": deep}, cluster.names[r]
        assert scan_sorted(c[r], table) == [{"pk": S("deep"), "doc": deep}], cluster.names[r]


def test_kill9_during_writes_loses_no_acknowledged_write(cluster):  # noqa: F811
    table = create_global_table(cluster, mt.unique_name("repl-kill"))
    c = cluster.clients
    victim = 1
    victim_client = c[victim]

    # Writes acknowledged by the victim well before it dies.
    victim_keys = [f"r1-{j}" for j in range(10)]
    for k in victim_keys:
        victim_client.put_item(TableName=table, Item={"pk": S(k), "v": S("before-kill")})

    acked: list[str] = []          # region 0, acknowledged
    victim_acked: list[str] = []   # region 1 right up to the kill, acknowledged
    victim_unknown: list[str] = []  # the put in flight when the victim died: outcome unknown
    writer_errors: list[BaseException] = []
    started = threading.Event()
    stop_victim = threading.Event()

    def writer():
        client = c[0]
        try:
            for j in range(300):
                k = f"r0-{j:03d}"
                client.put_item(TableName=table, Item={"pk": S(k), "v": N(j)})
                acked.append(k)
                if j == 20:
                    started.set()
                time.sleep(0.005)  # ~2 s of writes, so the crash and restart happen meanwhile
        except BaseException as e:  # noqa: BLE001
            writer_errors.append(e)
        finally:
            started.set()

    def victim_writer():
        # Writes to the victim until it dies: the last acknowledged ones may not have been
        # published to NATS yet, so they must come from its log after the restart.
        j = 0
        while not stop_victim.is_set():
            k = f"r1-live-{j:04d}"
            try:
                victim_client.put_item(TableName=table, Item={"pk": S(k), "v": S("before-kill")})
            except Exception:  # noqa: BLE001 - the kill
                victim_unknown.append(k)
                return
            victim_acked.append(k)
            j += 1
            time.sleep(0.001)

    threads = [threading.Thread(target=writer, daemon=True),
               threading.Thread(target=victim_writer, daemon=True)]
    for t in threads:
        t.start()
    try:
        assert started.wait(30)
        while len(acked) < 100 and threads[0].is_alive():
            time.sleep(0.005)
        killed_at = len(acked)
        cluster.kill9(victim)
        time.sleep(1.0)
        cluster.restart(victim)
        restarted_at = len(acked)
    finally:
        stop_victim.set()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert not writer_errors, writer_errors
    assert len(acked) == 300
    assert len(victim_acked) > 0
    print(f"killed after {killed_at} acked writes in region 0 and {len(victim_acked)} in region 1, "
          f"restarted after {restarted_at}; in flight at the kill: {victim_unknown}")

    # the restarted region takes writes again, and they replicate
    c[victim].put_item(TableName=table, Item={"pk": S("r1-after"), "v": S("after-restart")})
    cluster.wait_converged(table, 30.0)
    want = set(acked) | set(victim_keys) | set(victim_acked) | {"r1-after"}
    for r in range(NREGIONS):
        have = {it["pk"]["S"] for it in mt.full_scan(c[r], TableName=table, ConsistentRead=True)}
        missing = sorted(want - have)
        assert not missing, f"{cluster.names[r]} lacks {len(missing)} acknowledged keys: {missing[:10]}"
        extra = have - want - set(victim_unknown)
        assert not extra, (cluster.names[r], sorted(extra)[:10])
    for k in victim_keys + victim_acked[-5:]:
        for r in range(NREGIONS):
            assert get(c[r], table, k) == {"pk": S(k), "v": S("before-kill")}, (cluster.names[r], k)
    digests = cluster.digests(table)
    assert len(set(digests)) == 1, digests


def test_regionz_after_convergence(cluster):  # noqa: F811
    table = create_global_table(cluster, mt.unique_name("repl-rz"))
    for r in range(NREGIONS):
        for j in range(5):
            cluster.clients[r].put_item(TableName=table, Item={"pk": S(f"{r}-{j}"), "v": N(j)})
    cluster.wait_converged(table, CONVERGE_TIMEOUT)

    # Peer heads and acks travel in heartbeats: allow a few heartbeat periods.
    deadline = time.monotonic() + 5.0
    while True:
        rzs = [cluster.regionz(i) for i in range(NREGIONS)]
        heads = {rz["region"]: rz["head_seq"] for rz in rzs}
        problems = []
        for rz in rzs:
            me = rz["region"]
            peers = {p["region"]: p for p in rz["peers"]}
            if sorted(peers) != sorted(n for n in cluster.names if n != me):
                problems.append(f"{me}: peers {sorted(peers)}")
                continue
            for name, p in peers.items():
                if not p["connected"]:
                    problems.append(f"{me}: {name} not connected")
                if p["applied_seq"] != p["head_seq"]:
                    problems.append(f"{me}: {name} applied_seq {p['applied_seq']} != head_seq {p['head_seq']}")
                if p["head_seq"] != heads[name]:
                    problems.append(f"{me}: {name} head_seq {p['head_seq']} != its own {heads[name]}")
                if p["acked_seq"] != heads[me]:
                    problems.append(f"{me}: {name} acked_seq {p['acked_seq']} != my head {heads[me]}")
                if p["lag_ms"] != 0:
                    problems.append(f"{me}: {name} lag_ms {p['lag_ms']}")
                if p["pending"] != 0:
                    problems.append(f"{me}: {name} pending {p['pending']}")
        if not problems:
            break
        if time.monotonic() > deadline:
            raise AssertionError("; ".join(problems))
        time.sleep(0.1)
    for rz in rzs:
        assert rz["nats_connected"] is True
        assert rz["head_seq"] > 0
