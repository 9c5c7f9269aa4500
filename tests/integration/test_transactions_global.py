"""Transactions in a 3-region cluster: a transaction committed in one region is visible
whole in every other region (Meridian goes beyond DynamoDB Global Tables here, which only
promise ACID in the region that wrote it), and concurrent transactions from different
regions on the same items resolve the same way everywhere."""
from __future__ import annotations

import threading
import time

import pytest

import meridian_testlib as mt
from cluster_fixture import NREGIONS, cluster  # noqa: F401  (pytest fixture)
from test_global_tables import TIMEOUT, _all_regions_up  # noqa: F401  (autouse fixture)
from test_replication import create_global_table

S = mt.S


def pair_write(client, tables, value):
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": tables[0], "Item": {"pk": S("left"), "v": S(value)}}},
        {"Put": {"TableName": tables[1], "Item": {"pk": S("right"), "v": S(value)}}},
    ])


def pair_read(client, tables):
    got = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": tables[0], "Key": {"pk": S("left")}}},
        {"Get": {"TableName": tables[1], "Key": {"pk": S("right")}}},
    ])["Responses"]
    return tuple(r.get("Item", {}).get("v", {}).get("S") for r in got)


@pytest.mark.parametrize("policy", ["lww", "merge"])
def test_remote_regions_never_see_half_a_transaction(cluster, policy):  # noqa: F811
    tables = (create_global_table(cluster, f"txg_left_{policy}", policy=policy),
              create_global_table(cluster, f"txg_right_{policy}", policy=policy))
    stop = threading.Event()
    torn, reads = [], [0]

    def watch(i):
        client = mt.make_client(cluster.api_urls[i])
        while not stop.is_set():
            left, right = pair_read(client, tables)
            reads[0] += 1
            if left != right:
                torn.append((cluster.names[i], left, right))

    watchers = [threading.Thread(target=watch, args=(i,)) for i in range(1, NREGIONS)]
    for w in watchers:
        w.start()
    writers = []
    for r in range(2):  # two regions write the same pair concurrently
        def write(r=r):
            client = mt.make_client(cluster.api_urls[r])
            end, k = time.monotonic() + 2.0, 0
            while time.monotonic() < end:
                pair_write(client, tables, f"{cluster.names[r]}-{k}")
                k += 1
        writers.append(threading.Thread(target=write))
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    # Every region ends with the same pair, whole.
    deadline = time.monotonic() + TIMEOUT
    while True:
        finals = [pair_read(c, tables) for c in cluster.clients]
        if len(set(finals)) == 1 and finals[0][0] is not None:
            break
        assert time.monotonic() < deadline, finals
        time.sleep(0.1)
    stop.set()
    for w in watchers:
        w.join()
    assert not torn, torn[:5]
    assert reads[0] > 20
    assert finals[0][0] == finals[0][1]
    for table in tables:
        cluster.wait_converged(table, TIMEOUT)
