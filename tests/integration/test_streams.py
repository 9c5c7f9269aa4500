"""DynamoDB Streams in one region: StreamSpecification on CreateTable/UpdateTable, the
Streams API (ListStreams, DescribeStream, GetShardIterator, GetRecords) with boto3's
`dynamodbstreams` client and `aws dynamodbstreams`, records in DynamoDB's format, and
their errors."""
from __future__ import annotations

import os
import re
import time

import pytest

import meridian_testlib as mt

S, N = mt.S, mt.N
NEW_AND_OLD = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
LABEL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")


def stream_table(tables, view="NEW_AND_OLD_IMAGES", range_key=None) -> tuple[str, str]:
    name = tables.create(("pk", "S"), range_key,
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    arn = tables.client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    return name, arn


def only_shard(streams, arn) -> dict:
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert len(shards) == 1, shards
    return shards[0]


def read_all(streams, arn, shard_id=None, iterator_type="TRIM_HORIZON", **kw) -> list[dict]:
    """Every record now in the shard (the only one when shard_id is None)."""
    shard_id = shard_id or only_shard(streams, arn)["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id,
                                    ShardIteratorType=iterator_type, **kw)["ShardIterator"]
    records = []
    for _ in range(1000):
        r = streams.get_records(ShardIterator=it)
        records += r["Records"]
        it = r.get("NextShardIterator")
        if not r["Records"] or not it:
            return records
    raise AssertionError("GetRecords did not drain")


def events(records) -> list[str]:
    return [r["eventName"] for r in records]


# ---- StreamSpecification ---------------------------------------------------------

def test_create_table_with_stream_describes_it(tables, dynamodb, streams):
    name, arn = stream_table(tables)
    t = dynamodb.describe_table(TableName=name)["Table"]
    assert t["StreamSpecification"] == NEW_AND_OLD
    assert LABEL.match(t["LatestStreamLabel"]), t["LatestStreamLabel"]
    assert arn == (f"arn:aws:dynamodb:{mt.REGION}:000000000000:table/{name}/stream/"
                   f"{t['LatestStreamLabel']}")
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": name, "StreamLabel": t["LatestStreamLabel"]}]
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert d["StreamStatus"] == "ENABLED"
    assert d["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert d["TableName"] == name
    assert d["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert d["Shards"][0]["ShardId"].startswith("shardId-")
    assert "EndingSequenceNumber" not in d["Shards"][0]["SequenceNumberRange"]


@pytest.mark.parametrize("spec, message", [
    ({"StreamEnabled": True}, "One or more parameter values were invalid: Table is being created "
     "with a stream enabled, UpdateViewType is required"),
    ({"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}, "One or more parameter values were "
     "invalid: Table is being created with a stream disabled, UpdateViewType should not be "
     "specified"),
])
def test_create_table_stream_specification_errors(tables, dynamodb, spec, message):
    mt.expect_error(lambda: dynamodb.create_table(
        TableName=tables.name(), BillingMode="PAY_PER_REQUEST", StreamSpecification=spec,
        **mt.key_schema(("pk", "S"))), "ValidationException", message)


def test_bad_stream_view_type(tables, raw):
    r = raw("DynamoDB_20120810.CreateTable", {
        "TableName": tables.name(), "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "Fisk"},
        **mt.key_schema(("pk", "S"))})
    assert r.status == 400 and r.error_type.endswith("ValidationException"), r.text
    assert "streamSpecification.streamViewType" in r.error_message


def test_table_without_stream_has_no_stream_members(hash_table, dynamodb, streams):
    t = dynamodb.describe_table(TableName=hash_table)["Table"]
    assert "StreamSpecification" not in t and "LatestStreamArn" not in t
    assert streams.list_streams(TableName=hash_table)["Streams"] == []


def test_update_table_enable_disable_reenable(hash_table, dynamodb, streams):
    mt.expect_error(lambda: dynamodb.update_table(
        TableName=hash_table, StreamSpecification={"StreamEnabled": False}),
        "ValidationException", f"Table has no stream to disable: TableName: {hash_table}")
    t = dynamodb.update_table(TableName=hash_table, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]
    first = t["LatestStreamArn"]
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    mt.expect_error(lambda: dynamodb.update_table(
        TableName=hash_table, StreamSpecification={"StreamEnabled": True,
                                                   "StreamViewType": "KEYS_ONLY"}),
        "ValidationException", f"Table already has an enabled stream: TableName: {hash_table}")
    mt.expect_error(lambda: dynamodb.update_table(
        TableName=hash_table, StreamSpecification={"StreamEnabled": True}),
        "ValidationException", "One or more parameter values were invalid: If stream is being "
        "enabled then UpdateViewType is required")
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("a")})
    t = dynamodb.update_table(TableName=hash_table,
                              StreamSpecification={"StreamEnabled": False})["TableDescription"]
    assert "StreamSpecification" not in t
    assert t["LatestStreamArn"] == first  # the disabled stream stays the latest
    d = streams.describe_stream(StreamArn=first)["StreamDescription"]
    assert d["StreamStatus"] == "DISABLED"
    # The disabled stream's shard is closed: it ends, with its record still readable.
    assert "EndingSequenceNumber" in d["Shards"][0]["SequenceNumberRange"]
    assert events(read_all(streams, first)) == ["INSERT"]
    time.sleep(0.002)  # labels have millisecond resolution
    t = dynamodb.update_table(TableName=hash_table, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    second = t["LatestStreamArn"]
    assert second != first
    listed = [s["StreamArn"] for s in streams.list_streams(TableName=hash_table)["Streams"]]
    assert sorted(listed) == sorted([first, second])
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("b")})
    assert [r["dynamodb"]["Keys"] for r in read_all(streams, second)] == [{"pk": S("b")}]


# ---- records ---------------------------------------------------------------------

def test_records_of_put_update_delete(tables, dynamodb, streams):
    name, arn = stream_table(tables)
    dynamodb.put_item(TableName=name, Item={"pk": S("k"), "v": N(1)})
    dynamodb.update_item(TableName=name, Key={"pk": S("k")}, UpdateExpression="SET v = :two",
                         ExpressionAttributeValues={":two": N(2)})
    dynamodb.delete_item(TableName=name, Key={"pk": S("k")})
    records = read_all(streams, arn)
    assert events(records) == ["INSERT", "MODIFY", "REMOVE"]
    for r in records:
        assert r["eventVersion"] == "1.1" and r["eventSource"] == "aws:dynamodb"
        assert r["awsRegion"] == mt.REGION
        assert re.fullmatch(r"[0-9a-f]{32}", r["eventID"])
        assert r["dynamodb"]["Keys"] == {"pk": S("k")}
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert r["dynamodb"]["SizeBytes"] > 0
        assert abs(r["dynamodb"]["ApproximateCreationDateTime"].timestamp() - time.time()) < 120
        assert "userIdentity" not in r
    assert len({r["eventID"] for r in records}) == 3
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert "OldImage" not in records[0]["dynamodb"]
    assert records[0]["dynamodb"]["NewImage"] == {"pk": S("k"), "v": N(1)}
    assert records[1]["dynamodb"]["OldImage"] == {"pk": S("k"), "v": N(1)}
    assert records[1]["dynamodb"]["NewImage"] == {"pk": S("k"), "v": N(2)}
    assert records[2]["dynamodb"]["OldImage"] == {"pk": S("k"), "v": N(2)}
    assert "NewImage" not in records[2]["dynamodb"]


@pytest.mark.parametrize("view, new, old", [
    ("KEYS_ONLY", False, False), ("NEW_IMAGE", True, False), ("OLD_IMAGE", False, True)])
def test_view_types(tables, dynamodb, streams, view, new, old):
    name, arn = stream_table(tables, view, range_key=("sk", "N"))
    key = {"pk": S("p"), "sk": N(7)}
    dynamodb.put_item(TableName=name, Item={**key, "a": S("x")})
    dynamodb.put_item(TableName=name, Item={**key, "a": S("y")})
    records = read_all(streams, arn)
    assert events(records) == ["INSERT", "MODIFY"]
    m = records[1]["dynamodb"]
    assert m["Keys"] == key and m["StreamViewType"] == view
    assert ("NewImage" in m) == new and ("OldImage" in m) == old
    if new:
        assert m["NewImage"]["a"] == S("y")
    if old:
        assert m["OldImage"]["a"] == S("x")


def test_writes_that_change_nothing_leave_no_record(tables, dynamodb, streams):
    name, arn = stream_table(tables)
    item = {"pk": S("same"), "v": S("1")}
    dynamodb.put_item(TableName=name, Item=item)
    dynamodb.put_item(TableName=name, Item=item)  # identical: no record (DynamoDB)
    dynamodb.delete_item(TableName=name, Key={"pk": S("missing")})  # nothing to delete
    dynamodb.update_item(TableName=name, Key={"pk": S("same")}, UpdateExpression="SET v = :v",
                         ExpressionAttributeValues={":v": S("1")})  # same value
    assert events(read_all(streams, arn)) == ["INSERT"]


def test_transaction_records_are_adjacent(tables, dynamodb, streams):
    name, arn = stream_table(tables)
    dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": S(f"t{i}")}}} for i in range(5)])
    records = read_all(streams, arn)
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert len(seqs) == 5 and seqs == list(range(seqs[0], seqs[0] + 5))


def test_batch_write_and_items_of_other_tables(tables, dynamodb, streams):
    name, arn = stream_table(tables)
    other = tables.create(("pk", "S"))
    dynamodb.batch_write_item(RequestItems={
        name: [{"PutRequest": {"Item": {"pk": S(f"b{i}")}}} for i in range(20)],
        other: [{"PutRequest": {"Item": {"pk": S("elsewhere")}}}]})
    records = read_all(streams, arn)
    assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in records) == \
        sorted(f"b{i}" for i in range(20))


# ---- iterators and paging --------------------------------------------------------

def test_iterator_types_and_limit(tables, dynamodb, streams):
    name, arn = stream_table(tables)
    for i in range(10):
        dynamodb.put_item(TableName=name, Item={"pk": S(f"i{i}")})
    shard = only_shard(streams, arn)["ShardId"]
    records = read_all(streams, arn)
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert len(seqs) == 10
    at = read_all(streams, arn, shard, "AT_SEQUENCE_NUMBER", SequenceNumber=seqs[4])
    assert [r["dynamodb"]["SequenceNumber"] for r in at] == seqs[4:]
    after = read_all(streams, arn, shard, "AFTER_SEQUENCE_NUMBER", SequenceNumber=seqs[4])
    assert [r["dynamodb"]["SequenceNumber"] for r in after] == seqs[5:]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                        ShardIteratorType="LATEST")["ShardIterator"]
    r = streams.get_records(ShardIterator=latest)
    assert r["Records"] == [] and r["NextShardIterator"]
    dynamodb.put_item(TableName=name, Item={"pk": S("later")})
    r = streams.get_records(ShardIterator=r["NextShardIterator"])
    assert [x["dynamodb"]["Keys"] for x in r["Records"]] == [{"pk": S("later")}]
    # Limit pages through the records.
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    got = []
    for _ in range(6):
        r = streams.get_records(ShardIterator=it, Limit=3)
        assert len(r["Records"]) <= 3
        got += [x["dynamodb"]["SequenceNumber"] for x in r["Records"]]
        it = r["NextShardIterator"]
    assert got[:10] == seqs and len(got) == 11


def test_shard_iterator_errors(tables, dynamodb, streams):
    name, arn = stream_table(tables)
    dynamodb.put_item(TableName=name, Item={"pk": S("x")})
    shard = only_shard(streams, arn)["ShardId"]
    mt.expect_error(lambda: streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER"),
        "ValidationException")
    mt.expect_error(lambda: streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON",
        SequenceNumber="000000000000000000001"), "ValidationException")
    mt.expect_error(lambda: streams.get_shard_iterator(
        StreamArn=arn, ShardId="shardId-00000000000000000099-deadbeef",
        ShardIteratorType="TRIM_HORIZON"), "ResourceNotFoundException")
    mt.expect_error(lambda: streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber="999999999999999999999"), "ValidationException")
    mt.expect_error(lambda: streams.get_records(ShardIterator="garbage"), "ValidationException")
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    tampered = it[:-6] + ("AAAA==" if not it.endswith("AAAA==") else "BBBB==")
    mt.expect_error(lambda: streams.get_records(ShardIterator=tampered), "ValidationException")
    mt.expect_error(lambda: streams.get_records(ShardIterator=it, Limit=1001),
                    "ValidationException")


def test_stream_not_found_and_bad_arn(tables, streams):
    missing = (f"arn:aws:dynamodb:{mt.REGION}:000000000000:table/nosuchtable/stream/"
               "2020-01-01T00:00:00.000")
    mt.expect_error(lambda: streams.describe_stream(StreamArn=missing),
                    "ResourceNotFoundException",
                    f"Requested resource not found: Stream: {missing} not found")
    mt.expect_error(lambda: streams.describe_stream(StreamArn="arn:aws:dynamodb:nonsense:1234567890:table/x"),
                    "ValidationException")
    mt.expect_error(lambda: streams.list_streams(Limit=101), "ValidationException")


def test_list_streams_pagination(tables, dynamodb, streams):
    arns = {stream_table(tables)[1] for _ in range(3)}
    seen, start = [], None
    for _ in range(50):
        kw = {"Limit": 1}
        if start:
            kw["ExclusiveStartStreamArn"] = start
        page = streams.list_streams(**kw)
        assert len(page["Streams"]) <= 1
        seen += [s["StreamArn"] for s in page["Streams"]]
        start = page.get("LastEvaluatedStreamArn")
        if not start:
            break
    assert arns <= set(seen) and len(seen) == len(set(seen))


def test_deleted_table_stream_stays_readable(tables, dynamodb, streams):
    name, arn = stream_table(tables)
    dynamodb.put_item(TableName=name, Item={"pk": S("before-delete")})
    dynamodb.delete_table(TableName=name)
    mt.wait_gone(dynamodb, name)
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert d["StreamStatus"] == "DISABLED"
    assert events(read_all(streams, arn)) == ["INSERT"]


# ---- AWS CLI ---------------------------------------------------------------------

@pytest.mark.skipif(not os.access(mt.AWS_CLI, os.X_OK), reason="aws CLI not installed")
def test_aws_cli_dynamodbstreams(tables, dynamodb, aws):
    name, arn = stream_table(tables)
    dynamodb.put_item(TableName=name, Item={"pk": S("cli")})
    rc, out, err = aws("list-streams", "--table-name", name, service="dynamodbstreams")
    assert rc == 0, err
    assert out["Streams"][0]["StreamArn"] == arn
    rc, out, err = aws("describe-stream", "--stream-arn", arn, service="dynamodbstreams")
    assert rc == 0, err
    shard = out["StreamDescription"]["Shards"][0]["ShardId"]
    rc, out, err = aws("get-shard-iterator", "--stream-arn", arn, "--shard-id", shard,
                       "--shard-iterator-type", "TRIM_HORIZON", service="dynamodbstreams")
    assert rc == 0, err
    rc, out, err = aws("get-records", "--shard-iterator", out["ShardIterator"],
                       service="dynamodbstreams")
    assert rc == 0, err
    assert [r["eventName"] for r in out["Records"]] == ["INSERT"]
    assert out["Records"][0]["dynamodb"]["NewImage"] == {"pk": {"S": "cli"}}
