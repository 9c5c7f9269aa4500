"""Provisioned capacity in a 3-region cluster: rates replicate with the table definition,
writes replicated from another region are charged to the receiving region's bucket (DynamoDB's
replicated write units) but never refused, so the receiving region's own writers are the ones
throttled."""
from __future__ import annotations

import time

from botocore.exceptions import ClientError

import meridian_testlib as mt
from cluster_fixture import NREGIONS, cluster  # noqa: F401  (pytest fixture)
from test_replication import REPLICATE_TIMEOUT, _all_regions_up, wait_described  # noqa: F401

S = mt.S


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    return 0.0


def test_replicated_writes_are_charged_never_refused(cluster):  # noqa: F811
    c = cluster.clients
    name = "thr_global"
    c[0].create_table(TableName=name, **mt.key_schema(("pk", "S")),
                      ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 1})
    for i in range(NREGIONS):
        t = wait_described(c[i], name, REPLICATE_TIMEOUT, cluster.names[i])
        assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 1  # the rate replicated
    # Region 1 writes once: its bucket exists, with its 300 s x 1 unit of burst.
    c[1].put_item(TableName=name, Item={"pk": S("local-0")})
    before = metric(mt.http_get(f"{cluster.admin_urls[1]}/metrics")[1],
                    "meridian_replicated_write_capacity_units_total")
    # Region 0 spends its own burst: 300 single-unit writes in batches, until it is refused.
    written = 0
    for b in range(14):
        try:
            r = c[0].batch_write_item(RequestItems={name: [
                {"PutRequest": {"Item": {"pk": S(f"r0-{b}-{k}")}}} for k in range(25)]})
            assert not r.get("UnprocessedItems"), r
            written += 25
        except ClientError as e:
            assert mt.error_code(e) == "ProvisionedThroughputExceededException", e.response
            break
    assert written >= 275, written
    # Every one of them reaches region 1: its applier is never throttled...
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        count = c[1].scan(TableName=name, Select="COUNT", ConsistentRead=True)["Count"]
        if count >= written + 1:
            break
        time.sleep(0.2)
    assert count >= written + 1, (count, written)
    # ...but they are charged there: region 1's own writers now find the bucket in debt.
    time.sleep(1.5)  # the limiter takes replicated units once a second
    after = metric(mt.http_get(f"{cluster.admin_urls[1]}/metrics")[1],
                   "meridian_replicated_write_capacity_units_total")
    assert after - before >= written, (before, after, written)
    try:
        c[1].put_item(TableName=name, Item={"pk": S("local-1")})
        raise AssertionError("region 1 accepted a write with its bucket in debt")
    except ClientError as e:
        assert mt.error_code(e) == "ProvisionedThroughputExceededException", e.response
    # A region that did not take part has the same debt (every region applies every write).
    try:
        c[2].put_item(TableName=name, Item={"pk": S("local-2")})
        raise AssertionError("region 2 accepted a write with its bucket in debt")
    except ClientError as e:
        assert mt.error_code(e) == "ProvisionedThroughputExceededException", e.response
    # Raising the rate in one region lifts it everywhere once the definition replicates.
    c[0].update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 5,
                                                             "WriteCapacityUnits": 100000})
    deadline = time.monotonic() + REPLICATE_TIMEOUT
    while time.monotonic() < deadline:
        try:
            c[2].put_item(TableName=name, Item={"pk": S("local-2")})
            break
        except ClientError:
            time.sleep(0.2)
    else:
        raise AssertionError("region 2 still throttled after the rate went up")
