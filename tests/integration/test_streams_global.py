"""Streams and TTL in a 3-region cluster: every region's stream carries every change applied
there, local or replicated, with the image as it is there after conflict resolution; a
transaction's records are adjacent in every region; TTL settings replicate and a TTL delete
shows as the TTL service's REMOVE in every region."""
from __future__ import annotations

import threading
import time

import pytest

import meridian_testlib as mt
from cluster_fixture import NREGIONS, started_cluster
from test_replication import wait_described

S, N = mt.S, mt.N
TIMEOUT = 30.0


@pytest.fixture(scope="module")
def cluster():
    with started_cluster(["--", "--ttl-sweep-interval-ms", "300"]) as c:
        yield c


def create_stream_table(cluster, name, policy=None, origin=0) -> str:
    params = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                  StreamSpecification={"StreamEnabled": True,
                                       "StreamViewType": "NEW_AND_OLD_IMAGES"},
                  **mt.key_schema(("pk", "S")))
    if policy:
        params["Tags"] = [{"Key": "meridian:conflict", "Value": policy}]
    cluster.clients[origin].create_table(**params)
    for i in range(NREGIONS):
        wait_described(cluster.clients[i], name, TIMEOUT, cluster.names[i])
    return name


def region_records(cluster, i, table) -> list[dict]:
    """Every record of the table's stream in region i, parents' shards first."""
    return mt.stream_records(cluster.clients[i], mt.make_streams_client(cluster.api_urls[i]),
                             table)


def last_image(records, pk):
    mine = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == pk]
    return mine[-1]["dynamodb"].get("NewImage") if mine else "no record"


def wait_until(predicate, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_every_region_streams_local_and_replicated_changes(cluster):
    table = create_stream_table(cluster, "str_global_all")
    labels = set()
    for i in range(NREGIONS):
        t = cluster.clients[i].describe_table(TableName=table)["Table"]
        assert t["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert f":{cluster.names[i]}:" in t["LatestStreamArn"]
        labels.add(t["LatestStreamLabel"])
    assert len(labels) == 1  # one stream, labelled alike in every region
    for i in range(NREGIONS):
        cluster.clients[i].put_item(TableName=table, Item={"pk": S(f"from-{i}"), "v": N(1)})
    cluster.wait_converged(table, TIMEOUT)
    cluster.clients[2].update_item(TableName=table, Key={"pk": S("from-0")},
                                   UpdateExpression="SET v = :v",
                                   ExpressionAttributeValues={":v": N(2)})
    cluster.wait_converged(table, TIMEOUT)
    for i in range(NREGIONS):
        records = region_records(cluster, i, table)
        got = sorted((r["dynamodb"]["Keys"]["pk"]["S"], r["eventName"]) for r in records)
        assert got == [("from-0", "INSERT"), ("from-0", "MODIFY"), ("from-1", "INSERT"),
                       ("from-2", "INSERT")], (cluster.names[i], got)
        assert all(r["awsRegion"] == cluster.names[i] for r in records)
        modify = [r for r in records if r["eventName"] == "MODIFY"][0]["dynamodb"]
        assert modify["OldImage"]["v"] == N(1) and modify["NewImage"]["v"] == N(2)


@pytest.mark.parametrize("policy", ["lww", "merge"])
def test_concurrent_writes_stream_the_converged_image(cluster, policy):
    table = create_stream_table(cluster, f"str_global_race_{policy}", policy=policy)
    rounds = 15

    def writer(i):
        for k in range(rounds):
            if policy == "lww":
                cluster.clients[i].put_item(TableName=table,
                                            Item={"pk": S("hot"), "who": S(f"{i}-{k}")})
            else:
                cluster.clients[i].update_item(TableName=table, Key={"pk": S("hot")},
                                               UpdateExpression="ADD n :one",
                                               ExpressionAttributeValues={":one": N(1)})
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(NREGIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cluster.wait_converged(table, TIMEOUT)
    final = cluster.clients[0].get_item(TableName=table, Key={"pk": S("hot")},
                                        ConsistentRead=True)["Item"]
    if policy == "merge":
        assert final["n"] == N(rounds * NREGIONS)  # no lost increments
    for i in range(NREGIONS):
        assert last_image(region_records(cluster, i, table), "hot") == final, cluster.names[i]


def test_transaction_records_are_adjacent_in_every_region(cluster):
    table = create_stream_table(cluster, "str_global_txn")
    cluster.clients[0].put_item(TableName=table, Item={"pk": S("before")})
    cluster.clients[1].transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": S(f"t{j}"), "v": S("txn")}}}
        for j in range(6)])
    cluster.wait_converged(table, TIMEOUT)
    for i in range(NREGIONS):
        records = region_records(cluster, i, table)
        positions = [k for k, r in enumerate(records)
                     if r["dynamodb"]["Keys"]["pk"]["S"].startswith("t")]
        assert len(positions) == 6 and positions == list(range(positions[0], positions[0] + 6))
        seqs = [int(records[k]["dynamodb"]["SequenceNumber"]) for k in positions]
        assert seqs == list(range(seqs[0], seqs[0] + 6)), cluster.names[i]


def test_ttl_replicates_and_expiry_streams_in_every_region(cluster):
    table = create_stream_table(cluster, "str_global_ttl")
    cluster.clients[1].update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    for i in range(NREGIONS):
        wait_until(lambda i=i: cluster.clients[i].describe_time_to_live(TableName=table)
                   ["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED")
    now = int(time.time())
    cluster.clients[0].put_item(TableName=table, Item={"pk": S("old"), "exp": N(now - 5)})
    cluster.clients[2].put_item(TableName=table, Item={"pk": S("new"), "exp": N(now + 3600)})
    for i in range(NREGIONS):
        wait_until(lambda i=i: "Item" not in cluster.clients[i].get_item(
            TableName=table, Key={"pk": S("old")}, ConsistentRead=True))
    cluster.wait_converged(table, TIMEOUT)
    for i in range(NREGIONS):
        records = region_records(cluster, i, table)
        removes = [r for r in records if r["eventName"] == "REMOVE"]
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in removes] == ["old"], cluster.names[i]
        assert removes[0]["userIdentity"] == {"Type": "Service",
                                              "PrincipalId": "dynamodb.amazonaws.com"}
        assert "Item" in cluster.clients[i].get_item(TableName=table, Key={"pk": S("new")})
