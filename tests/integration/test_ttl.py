"""Time to Live: UpdateTimeToLive / DescribeTimeToLive with DynamoDB's validation, and the
sweeper (a server of this module's own, sweeping every 200 ms) deleting expired items as
the TTL service, visible in the table's stream."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest

import meridian_testlib as mt

S, N = mt.S, mt.N


def ttl_status(client, table) -> dict:
    return client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]


def test_describe_ttl_of_new_table_is_disabled(hash_table, dynamodb):
    assert ttl_status(dynamodb, hash_table) == {"TimeToLiveStatus": "DISABLED"}


def test_enable_and_disable(hash_table, dynamodb):
    out = dynamodb.update_time_to_live(
        TableName=hash_table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
    assert ttl_status(dynamodb, hash_table) == {"TimeToLiveStatus": "ENABLED",
                                                "AttributeName": "exp"}
    mt.expect_error(lambda: dynamodb.update_time_to_live(
        TableName=hash_table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}),
        "ValidationException", "TimeToLive is already enabled")
    mt.expect_error(lambda: dynamodb.update_time_to_live(
        TableName=hash_table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "other"}),
        "ValidationException",
        "TimeToLive is active on a different AttributeName: current AttributeName is exp")
    mt.expect_error(lambda: dynamodb.update_time_to_live(
        TableName=hash_table, TimeToLiveSpecification={"Enabled": False,
                                                       "AttributeName": "other"}),
        "ValidationException",
        "TimeToLive is active on a different AttributeName: current AttributeName is exp")
    out = dynamodb.update_time_to_live(
        TableName=hash_table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    assert out["TimeToLiveSpecification"] == {"Enabled": False, "AttributeName": "exp"}
    assert ttl_status(dynamodb, hash_table) == {"TimeToLiveStatus": "DISABLED"}
    mt.expect_error(lambda: dynamodb.update_time_to_live(
        TableName=hash_table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"}),
        "ValidationException", "TimeToLive is already disabled")


def test_ttl_request_validation(hash_table, dynamodb, raw):
    mt.expect_error(lambda: dynamodb.update_time_to_live(
        TableName="no-such-table", TimeToLiveSpecification={"Enabled": True,
                                                             "AttributeName": "exp"}),
        "ResourceNotFoundException", "Requested resource not found: Table: no-such-table not found")
    mt.expect_error(lambda: dynamodb.describe_time_to_live(TableName="no-such-table"),
                    "ResourceNotFoundException")
    r = raw("DynamoDB_20120810.UpdateTimeToLive",
            {"TableName": hash_table, "TimeToLiveSpecification": {"Enabled": True,
                                                                   "AttributeName": ""}})
    assert r.status == 400 and r.error_type.endswith("ValidationException"), r.text
    assert "length greater than or equal to 1" in r.error_message
    r = raw("DynamoDB_20120810.UpdateTimeToLive",
            {"TableName": hash_table, "TimeToLiveSpecification": {"AttributeName": "exp"}})
    assert r.status == 400 and "timeToLiveSpecification.enabled" in r.error_message, r.text


# ---- the sweeper -----------------------------------------------------------------

@pytest.fixture(scope="module")
def sweeping():
    """A meridiand sweeping every 200 ms: (client, streams client)."""
    workdir = Path(tempfile.mkdtemp(prefix="meridian-ttl-"))
    server = mt.MeridianServer(workdir / "data", workdir / "meridiand.log",
                               extra_args=["--ttl-sweep-interval-ms", "200"])
    server.start()
    try:
        yield mt.make_client(server.endpoint), mt.make_streams_client(server.endpoint)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_sweeper_deletes_expired_items_only(sweeping):
    client, streams = sweeping
    name = mt.unique_name("ttl")
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        StreamSpecification={"StreamEnabled": True,
                                             "StreamViewType": "NEW_AND_OLD_IMAGES"},
                        **mt.key_schema(("pk", "S")))
    client.update_time_to_live(TableName=name,
                               TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    now = int(time.time())
    items = {
        "expired": N(now - 10),
        "expired-fraction": N(f"{now - 10}.5"),
        "future": N(now + 3600),
        "not-a-number": S(str(now - 10)),
        "ancient": N(now - 6 * 365 * 24 * 3600),  # > 5 years ago: DynamoDB ignores it
        "soon": N(now + 2),
    }
    for pk, exp in items.items():
        client.put_item(TableName=name, Item={"pk": S(pk), "exp": exp})
    client.put_item(TableName=name, Item={"pk": S("no-ttl")})

    def present():
        return {i["pk"]["S"] for i in mt.full_scan(client, TableName=name, ConsistentRead=True)}
    assert wait_for(lambda: "expired" not in present() and "expired-fraction" not in present())
    assert wait_for(lambda: "soon" not in present(), timeout=15)
    assert present() == {"future", "not-a-number", "ancient", "no-ttl"}

    arn = client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it)["Records"]
    removes = [r for r in records if r["eventName"] == "REMOVE"]
    assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in removes) == \
        ["expired", "expired-fraction", "soon"]
    for r in removes:
        assert r["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
        assert "OldImage" in r["dynamodb"]
    assert all("userIdentity" not in r for r in records if r["eventName"] != "REMOVE")


def test_sweeper_leaves_item_whose_ttl_was_extended(sweeping):
    client, _ = sweeping
    name = mt.unique_name("ttl")
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        **mt.key_schema(("pk", "S")))
    client.update_time_to_live(TableName=name,
                               TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    now = int(time.time())
    client.put_item(TableName=name, Item={"pk": S("kept"), "exp": N(now + 3)})
    client.update_item(TableName=name, Key={"pk": S("kept")}, UpdateExpression="SET exp = :e",
                       ExpressionAttributeValues={":e": N(now + 3600)})
    client.put_item(TableName=name, Item={"pk": S("gone"), "exp": N(now + 3)})
    assert wait_for(lambda: "Item" not in client.get_item(TableName=name,
                                                          Key={"pk": S("gone")}), timeout=15)
    assert "Item" in client.get_item(TableName=name, Key={"pk": S("kept")})


def test_disabled_ttl_deletes_nothing(sweeping):
    client, _ = sweeping
    name = mt.unique_name("ttl")
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        **mt.key_schema(("pk", "S")))
    client.put_item(TableName=name, Item={"pk": S("x"), "exp": N(int(time.time()) - 100)})
    time.sleep(1.0)  # five sweeps
    assert "Item" in client.get_item(TableName=name, Key={"pk": S("x")})
