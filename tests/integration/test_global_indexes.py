"""Secondary indexes of a global table on a 3-region cluster: every region maintains its own
GSIs and LSIs from the items it applies (its own writes and replicated ones), so the indexes
converge with the table. Index DDL (UpdateTable GlobalSecondaryIndexUpdates) replicates, and
each region backfills an added index from its own items.
"""
from __future__ import annotations

import time

import meridian_testlib as mt
from cluster_fixture import NREGIONS, cluster  # noqa: F401  (pytest fixture)
from meridian_testlib import S, N
from test_global_tables import TIMEOUT, _all_regions_up  # noqa: F401  (autouse fixture)
from test_replication import run_threads, wait_described


def create_indexed_table(cluster, name):  # noqa: F811
    key = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    cluster.clients[0].create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=key,
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": t}
                              for a, t in (("pk", "S"), ("sk", "S"), ("status", "S"), ("rank", "N"))],
        GlobalSecondaryIndexes=[{"IndexName": "by_status",
                                 "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                                               {"AttributeName": "rank", "KeyType": "RANGE"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "by_rank",
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "rank", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for i in range(NREGIONS):
        t = wait_described(cluster.clients[i], name, TIMEOUT, cluster.names[i])
        assert [g["IndexName"] for g in t["GlobalSecondaryIndexes"]] == ["by_status"]
        assert [x["IndexName"] for x in t["LocalSecondaryIndexes"]] == ["by_rank"]
    return name


def index_view(client, table):
    """What each index answers, in its order: by_status for each status, by_rank per pk."""
    out = {}
    for status in ("open", "closed", "held"):
        items = mt.full_query(client, TableName=table, IndexName="by_status",
                              KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
                              ExpressionAttributeValues={":s": S(status)})
        out[f"by_status/{status}"] = [(it["pk"]["S"], it["sk"]["S"], it["rank"]["N"]) for it in items]
    for p in range(3):
        items = mt.full_query(client, TableName=table, IndexName="by_rank", ConsistentRead=True,
                              KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S(f"p{p}")})
        out[f"by_rank/p{p}"] = [(it["sk"]["S"], it["rank"]["N"]) for it in items]
    return out


def expected_view(client, table):
    """The same answers computed from a scan of the table."""
    items = mt.full_scan(client, TableName=table, ConsistentRead=True)
    out = {}
    for status in ("open", "closed", "held"):
        rows = [it for it in items if it.get("status", {}).get("S") == status and "N" in it.get("rank", {})]
        rows.sort(key=lambda it: float(it["rank"]["N"]))
        out[f"by_status/{status}"] = [(it["pk"]["S"], it["sk"]["S"], it["rank"]["N"]) for it in rows]
    for p in range(3):
        rows = [it for it in items if it["pk"]["S"] == f"p{p}" and "rank" in it]
        rows.sort(key=lambda it: float(it["rank"]["N"]))
        out[f"by_rank/p{p}"] = [(it["sk"]["S"], it["rank"]["N"]) for it in rows]
    return out


def test_indexes_converge_with_concurrent_writes_in_every_region(cluster):  # noqa: F811
    table = create_indexed_table(cluster, "gi_converge")

    def writer(region):
        def run():
            c = cluster.clients[region]
            for k in range(30):
                # Every region writes the same keys: index keys move with the LWW winner.
                key = {"pk": S(f"p{k % 3}"), "sk": S(f"s{k:02d}")}
                status = ("open", "closed", "held")[(k + region) % 3]
                c.put_item(TableName=table, Item={**key, "status": S(status),
                                                  "rank": N(k * 10 + region), "from": S(cluster.names[region])})
                if k % 5 == region:
                    c.update_item(TableName=table, Key=key, UpdateExpression="REMOVE #s",
                                  ExpressionAttributeNames={"#s": "status"})
                if k % 7 == region:
                    c.delete_item(TableName=table, Key=key)
        return run

    errors = run_threads([writer(i) for i in range(NREGIONS)])
    assert not errors, errors
    cluster.wait_converged(table, timeout=TIMEOUT)
    views = [index_view(cluster.clients[i], table) for i in range(NREGIONS)]
    expected = expected_view(cluster.clients[0], table)
    assert sum(len(v) for v in expected.values()) > 0
    for i in range(NREGIONS):
        assert views[i] == expected, f"indexes of {cluster.names[i]} differ from its table"


def test_added_gsi_is_backfilled_in_every_region_and_deleted_everywhere(cluster):  # noqa: F811
    table = create_indexed_table(cluster, "gi_ddl")
    for k in range(20):
        cluster.clients[k % NREGIONS].put_item(
            TableName=table, Item={"pk": S(f"p{k % 3}"), "sk": S(f"s{k:02d}"), "colour": S("red" if k % 2 else "blue")})
    cluster.wait_converged(table, timeout=TIMEOUT)

    cluster.clients[1].update_table(
        TableName=table, AttributeDefinitions=[{"AttributeName": "colour", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by_colour", "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    for i in range(NREGIONS):
        client = cluster.clients[i]
        deadline = time.monotonic() + TIMEOUT
        while True:
            t = client.describe_table(TableName=table)["Table"]
            found = [g for g in t.get("GlobalSecondaryIndexes", []) if g["IndexName"] == "by_colour"]
            if found and found[0]["IndexStatus"] == "ACTIVE":
                break
            assert time.monotonic() < deadline, f"by_colour not ACTIVE in {cluster.names[i]}: {found}"
            time.sleep(0.1)
        reds = mt.full_query(client, TableName=table, IndexName="by_colour",
                             KeyConditionExpression="colour = :c", ExpressionAttributeValues={":c": S("red")})
        assert sorted(it["sk"]["S"] for it in reds) == [f"s{k:02d}" for k in range(1, 20, 2)]
        assert all(set(it) == {"pk", "sk", "colour"} for it in reds)

    cluster.clients[2].update_table(TableName=table,
                                    GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_colour"}}])
    for i in range(NREGIONS):
        deadline = time.monotonic() + TIMEOUT
        while True:
            t = cluster.clients[i].describe_table(TableName=table)["Table"]
            names = [g["IndexName"] for g in t.get("GlobalSecondaryIndexes", [])]
            if "by_colour" not in names:
                break
            assert time.monotonic() < deadline, f"by_colour still in {cluster.names[i]}"
            time.sleep(0.1)
        assert names == ["by_status"]
