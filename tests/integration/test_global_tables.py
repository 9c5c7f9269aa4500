"""Global tables, DynamoDB style: UpdateTable ReplicaUpdates on a 3-region cluster.

The cluster runs with --global-tables (every new table starts in every region). Removing a
replica drops the table's data in that region, and adding it back copies the table from a
peer replica (a snapshot, then the log) while writes continue everywhere; the replica is
CREATING until it has caught up, then ACTIVE, and all regions converge. Written against
DynamoDB's documented behaviour (version 2019.11.21), so the same calls work on AWS.
"""
from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from cluster_fixture import NREGIONS, cluster  # noqa: F401  (pytest fixture)
from test_replication import create_global_table, scan_sorted, wait_described, wait_table_gone

S = mt.S
N = mt.N
TIMEOUT = 30.0


@pytest.fixture(autouse=True)
def _all_regions_up(cluster):  # noqa: F811
    cluster.ensure_all_up()
    yield


def replica_statuses(client, table: str) -> dict[str, str]:
    t = client.describe_table(TableName=table)["Table"]
    return {r["RegionName"]: r["ReplicaStatus"] for r in t.get("Replicas", [])}


def wait_replicas(client, table: str, expected: dict[str, str], timeout: float = TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        t = client.describe_table(TableName=table)["Table"]
        got = {r["RegionName"]: r["ReplicaStatus"] for r in t.get("Replicas", [])}
        if got == expected and t["TableStatus"] == "ACTIVE":
            return t
        if time.monotonic() > deadline:
            raise AssertionError(f"replicas of {table}: {got} ({t['TableStatus']}), want {expected}")
        time.sleep(0.1)


def put_items(client, table: str, prefix: str, n: int, **extra) -> None:
    for k in range(n):
        client.put_item(TableName=table, Item={"pk": S(f"{prefix}{k:04d}"), "v": N(k), **extra})


def test_describe_lists_the_other_regions_as_active_replicas(cluster):  # noqa: F811
    table = create_global_table(cluster, "gt_describe")
    for i in range(NREGIONS):
        others = {cluster.names[j]: "ACTIVE" for j in range(NREGIONS) if j != i}
        t = wait_replicas(cluster.clients[i], table, others)
        assert t["GlobalTableVersion"] == "2019.11.21"


def test_remove_and_add_back_a_replica_backfills_while_writes_go_on(cluster):  # noqa: F811
    table = create_global_table(cluster, "gt_backfill", policy="merge")
    c0, c1, c2 = cluster.clients
    put_items(c0, table, "a", 200, tag=S("before"))
    c1.update_item(TableName=table, Key={"pk": S("counter")}, UpdateExpression="ADD n :one",
                   ExpressionAttributeValues={":one": N(1)})
    cluster.wait_converged(table, TIMEOUT)

    # Remove the third region's replica: the table disappears there, not elsewhere.
    resp = c0.update_table(TableName=table, ReplicaUpdates=[{"Delete": {"RegionName": cluster.names[2]}}])
    assert {r["RegionName"] for r in resp["TableDescription"].get("Replicas", [])} == {cluster.names[1]}
    wait_table_gone(c2, table, TIMEOUT, cluster.names[2])
    wait_replicas(c0, table, {cluster.names[1]: "ACTIVE"})
    with pytest.raises(ClientError) as err:
        c2.get_item(TableName=table, Key={"pk": S("a0000")})
    assert mt.error_code(err.value) == "ResourceNotFoundException"

    # Writes the third region skips while it is not a replica.
    put_items(c1, table, "b", 150)
    for _ in range(5):
        c0.update_item(TableName=table, Key={"pk": S("counter")}, UpdateExpression="ADD n :one",
                       ExpressionAttributeValues={":one": N(1)})
    c0.delete_item(TableName=table, Key={"pk": S("a0007")})

    # Add it back while two writers keep going in the other regions.
    stop = threading.Event()
    written: list[int] = [0, 0]
    errors: list[BaseException] = []

    def writer(idx: int) -> None:
        try:
            k = 0
            while not stop.is_set():
                cluster.clients[idx].put_item(TableName=table, Item={"pk": S(f"w{idx}-{k:05d}"), "v": N(k)})
                cluster.clients[idx].update_item(TableName=table, Key={"pk": S("counter")},
                                                 UpdateExpression="ADD n :one",
                                                 ExpressionAttributeValues={":one": N(1)})
                k += 1
                written[idx] = k
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in (0, 1)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    resp = c1.update_table(TableName=table, ReplicaUpdates=[{"Create": {"RegionName": cluster.names[2]}}])
    assert cluster.names[2] in {r["RegionName"] for r in resp["TableDescription"]["Replicas"]}
    wait_described(c2, table, TIMEOUT, cluster.names[2])
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert all(w > 0 for w in written)

    for i in range(NREGIONS):
        others = {cluster.names[j]: "ACTIVE" for j in range(NREGIONS) if j != i}
        wait_replicas(cluster.clients[i], table, others)
    cluster.wait_converged(table, TIMEOUT)
    items = {it["pk"]["S"]: it for it in scan_sorted(c2, table)}
    expected_keys = ({f"a{k:04d}" for k in range(200)} - {"a0007"}) | {f"b{k:04d}" for k in range(150)} \
        | {f"w{i}-{k:05d}" for i in (0, 1) for k in range(written[i])} | {"counter"}
    assert set(items) == expected_keys
    assert int(items["counter"]["n"]["N"]) == 1 + 5 + written[0] + written[1]
    assert items["a0003"]["tag"] == {"S": "before"}
    assert scan_sorted(c2, table) == scan_sorted(c0, table)
    # The copy was on the new replica's progress board: items done of the source's count.
    copies = [w for w in cluster.tablez(2)["work"]
              if w["kind"] == "replica backfill" and w["table"] == table and w["finished"]]
    assert copies, cluster.tablez(2)["work"]
    assert copies[0]["unit"] == "items" and copies[0]["detail"].startswith("from ")
    assert copies[0]["done"] >= 200 + 150 - 1 and copies[0]["total"] >= 200 + 150 - 1


def test_update_table_replica_errors(cluster):  # noqa: F811
    table = create_global_table(cluster, "gt_errors")
    c0 = cluster.clients[0]
    c0.update_table(TableName=table, ReplicaUpdates=[{"Delete": {"RegionName": cluster.names[2]}}])
    wait_replicas(c0, table, {cluster.names[1]: "ACTIVE"})

    def expect(code: str, fragment: str, **kwargs) -> None:
        with pytest.raises(ClientError) as err:
            c0.update_table(TableName=table, **kwargs)
        assert mt.error_code(err.value) == code
        assert fragment in mt.error_message(err.value)

    expect("ValidationException", "already existed as tables",
           ReplicaUpdates=[{"Create": {"RegionName": cluster.names[1]}}])
    expect("ValidationException", "does not exist",
           ReplicaUpdates=[{"Delete": {"RegionName": cluster.names[2]}}])
    expect("ValidationException", "is not a region",
           ReplicaUpdates=[{"Create": {"RegionName": "mars-north-1"}}])
    expect("ValidationException", "At least one of ProvisionedThroughput, BillingMode")
    with pytest.raises(ClientError) as err:
        c0.update_table(TableName="gt_no_such_table", BillingMode="PAY_PER_REQUEST")
    assert mt.error_code(err.value) == "ResourceNotFoundException"


def test_billing_mode_update_replicates(cluster):  # noqa: F811
    table = create_global_table(cluster, "gt_billing")
    cluster.clients[0].update_table(TableName=table, BillingMode="PROVISIONED",
                                    ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3})
    deadline = time.monotonic() + TIMEOUT
    for i in range(NREGIONS):
        while True:
            t = cluster.clients[i].describe_table(TableName=table)["Table"]
            if t["BillingModeSummary"]["BillingMode"] == "PROVISIONED":
                break
            assert time.monotonic() < deadline, f"billing mode not replicated to {cluster.names[i]}"
            time.sleep(0.1)
        assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
        assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
