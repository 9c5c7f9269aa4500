"""Crash safety: every acknowledged write survives SIGKILL and restart.

These tests start private meridiand instances with their own data dirs, so they
are skipped when running against $DYNAMODB_ENDPOINT.
"""
from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError

import meridian_testlib as mt
from meridian_testlib import S, N, canon

pytestmark = pytest.mark.skipif(mt.IS_EXTERNAL, reason="needs private meridiand instances")


@pytest.fixture
def private_dir():
    d = Path(tempfile.mkdtemp(prefix="meridian-dur-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def server_factory(private_dir):
    """start() -> a fresh meridiand on private_dir/data (same data dir every time)."""
    started = []

    def start():
        srv = mt.MeridianServer(private_dir / "data", private_dir / "meridiand.log")
        try:
            srv.start()
        except mt.ServerStartError as e:
            pytest.fail(str(e), pytrace=False)
        started.append(srv)
        return srv
    yield start
    for srv in started:
        srv.kill()


def _make_table(client, name, range_key=None):
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        **mt.key_schema(("pk", "S"), range_key))
    return mt.wait_active(client, name)


def test_acknowledged_writes_survive_sigkill(server_factory):
    srv = server_factory()
    c = mt.make_client(srv.endpoint)
    t_hash, t_range = mt.unique_name("dur-h"), mt.unique_name("dur-r")
    _make_table(c, t_hash)
    _make_table(c, t_range, ("sk", "N"))

    expected_hash, expected_range = {}, {}
    for i in range(300):
        item = {"pk": S(f"k{i:04d}"), "n": N(i), "blob": {"B": bytes([i % 256]) * 100},
                "m": {"M": {"l": {"L": [S("x"), N("1.5")]}}}}
        c.put_item(TableName=t_hash, Item=item)
        expected_hash[f"k{i:04d}"] = item
    for i in range(0, 300, 3):  # updates
        k = f"k{i:04d}"
        resp = c.update_item(TableName=t_hash, Key={"pk": S(k)}, UpdateExpression="SET n = n + :d ADD c :one",
                             ExpressionAttributeValues={":d": N(1000), ":one": N(1)}, ReturnValues="ALL_NEW")
        expected_hash[k] = resp["Attributes"]
    for i in range(0, 300, 10):  # deletes
        k = f"k{i:04d}"
        c.delete_item(TableName=t_hash, Key={"pk": S(k)})
        del expected_hash[k]
    for p in range(5):
        for s in range(20):
            item = {"pk": S(f"p{p}"), "sk": N(s - 10), "v": S(f"{p}/{s}")}
            c.put_item(TableName=t_range, Item=item)
            expected_range[(f"p{p}", str(s - 10))] = item

    srv.kill()  # SIGKILL right after the last acknowledgement

    srv2 = server_factory()
    c2 = mt.make_client(srv2.endpoint)
    names = c2.list_tables()["TableNames"]
    assert t_hash in names and t_range in names
    desc = c2.describe_table(TableName=t_range)["Table"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                 {"AttributeName": "sk", "KeyType": "RANGE"}]

    for k, item in expected_hash.items():
        got = c2.get_item(TableName=t_hash, Key={"pk": S(k)}, ConsistentRead=True).get("Item")
        assert got is not None, f"acknowledged item {k} lost"
        assert canon(got) == canon(item), k
    for i in range(0, 300, 10):
        assert "Item" not in c2.get_item(TableName=t_hash, Key={"pk": S(f"k{i:04d}")}, ConsistentRead=True), \
            "acknowledged delete lost"
    assert len(mt.full_scan(c2, TableName=t_hash, ConsistentRead=True)) == len(expected_hash)

    for p in range(5):
        items = mt.full_query(c2, TableName=t_range, KeyConditionExpression="pk = :p",
                              ExpressionAttributeValues={":p": S(f"p{p}")}, ConsistentRead=True)
        assert [it["sk"]["N"] for it in items] == [str(s - 10) for s in range(20)]
        for it in items:
            assert it == expected_range[(f"p{p}", it["sk"]["N"])]


def test_writes_in_flight_during_sigkill(server_factory):
    """Kill the daemon under load: every write that got a 200 must be there afterwards."""
    srv = server_factory()
    c = mt.make_client(srv.endpoint, pool=32)
    table = mt.unique_name("dur-load")
    _make_table(c, table)

    acked: dict[str, str] = {}
    early_errors = []
    lock = threading.Lock()
    stop = threading.Event()
    killing = threading.Event()

    def writer(w):
        i = 0
        while not stop.is_set() and i < 100000:
            k = f"w{w}-{i}"
            try:
                c.put_item(TableName=table, Item={"pk": S(k), "v": S(f"value-{w}-{i}" * 10)})
            except (ClientError, BotoCoreError, OSError) as e:
                if not killing.is_set():
                    early_errors.append(repr(e))
                return  # the daemon is gone: this write may or may not have landed
            with lock:
                acked[k] = f"value-{w}-{i}" * 10
            i += 1

    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(8)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    killing.set()
    srv.kill()
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not early_errors, f"writes failed before the kill: {early_errors[:3]}"
    assert len(acked) > 50, "the writers made too little progress to make this test meaningful"

    srv2 = server_factory()
    c2 = mt.make_client(srv2.endpoint)
    present = {it["pk"]["S"]: it["v"]["S"]
               for it in mt.full_scan(c2, TableName=table, ConsistentRead=True)}
    lost = [k for k in acked if k not in present]
    assert not lost, f"{len(lost)} of {len(acked)} acknowledged writes lost, e.g. {lost[:5]}"
    wrong = [k for k, v in acked.items() if present[k] != v]
    assert not wrong, f"acknowledged values changed: {wrong[:5]}"


def test_repeated_crash_recovery(server_factory):
    """Crash, recover, write more, crash again: recovery must itself be durable."""
    table = mt.unique_name("dur-rep")
    expected = {}
    for round_ in range(3):
        srv = server_factory()
        c = mt.make_client(srv.endpoint)
        if round_ == 0:
            _make_table(c, table)
        else:
            assert mt.wait_active(c, table)["TableStatus"] == "ACTIVE"
        items = mt.full_scan(c, TableName=table, ConsistentRead=True)
        assert {it["pk"]["S"]: it["n"]["N"] for it in items} == expected
        for i in range(100):
            k = f"r{round_}-{i}"
            c.put_item(TableName=table, Item={"pk": S(k), "n": N(i)})
            expected[k] = str(i)
        c.update_item(TableName=table, Key={"pk": S("r0-0")}, UpdateExpression="ADD n :one",
                      ExpressionAttributeValues={":one": N(1)})
        expected["r0-0"] = str(int(expected["r0-0"]) + 1)
        srv.kill()


def test_clean_shutdown_and_restart(server_factory):
    srv = server_factory()
    c = mt.make_client(srv.endpoint)
    table = mt.unique_name("dur-clean")
    _make_table(c, table)
    for i in range(50):
        c.put_item(TableName=table, Item={"pk": S(f"c{i}"), "n": N(i)})
    rc = srv.stop(timeout=20)
    assert rc is not None, "meridiand did not exit within 20 s of SIGTERM"
    assert rc in (0, -15), f"unexpected exit status {rc} after SIGTERM:\n{srv.log_tail()}"

    srv2 = server_factory()
    c2 = mt.make_client(srv2.endpoint)
    items = mt.full_scan(c2, TableName=table, ConsistentRead=True)
    assert sorted(int(it["n"]["N"]) for it in items) == list(range(50))


def test_deleted_table_stays_deleted(server_factory):
    srv = server_factory()
    c = mt.make_client(srv.endpoint)
    keep, drop = mt.unique_name("dur-keep"), mt.unique_name("dur-drop")
    _make_table(c, keep)
    _make_table(c, drop)
    c.put_item(TableName=drop, Item={"pk": S("x")})
    c.delete_table(TableName=drop)
    mt.wait_gone(c, drop)
    srv.kill()

    srv2 = server_factory()
    c2 = mt.make_client(srv2.endpoint)
    names = c2.list_tables()["TableNames"]
    assert keep in names and drop not in names
    with pytest.raises(ClientError) as ei:
        c2.describe_table(TableName=drop)
    assert mt.error_code(ei.value) == "ResourceNotFoundException"
