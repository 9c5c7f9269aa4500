"""Stream records survive kill -9, shards roll over on restart and at the size bound, and a
consumer that walks the shard chain (parents first) reads every record once, in order.
Each test runs its own meridiand."""
from __future__ import annotations

import shutil
import time
import tempfile
from pathlib import Path

import pytest

import meridian_testlib as mt

S = mt.S


@pytest.fixture
def server():
    workdir = Path(tempfile.mkdtemp(prefix="meridian-streams-"))
    servers = []

    def start(*extra):
        s = mt.MeridianServer(workdir / "data", workdir / "meridiand.log", extra_args=list(extra))
        servers.append(s)
        return s.start()
    yield start
    for s in servers:
        s.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def create_stream_table(client) -> str:
    name = mt.unique_name("str")
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                        **mt.key_schema(("pk", "S")))
    return name


def stream_table_on(s):
    """Clients of server `s` and a new stream table on it: (client, streams, name, arn)."""
    client, streams = mt.make_client(s.endpoint), mt.make_streams_client(s.endpoint)
    name = create_stream_table(client)
    return client, streams, name, client.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def shards_in_order(streams, arn) -> list[dict]:
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    by_id = {s["ShardId"]: s for s in shards}
    roots = [s for s in shards if s.get("ParentShardId") not in by_id]
    assert len(roots) == 1, shards
    order = [roots[0]]
    while True:
        children = [s for s in shards if s.get("ParentShardId") == order[-1]["ShardId"]]
        if not children:
            break
        assert len(children) == 1, shards  # one chain
        order.append(children[0])
    assert len(order) == len(shards)
    return order


def read_stream(streams, arn) -> list[str]:
    """The pk of every record, walking the shards parents first."""
    keys = []
    for shard in shards_in_order(streams, arn):
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        closed = "EndingSequenceNumber" in shard["SequenceNumberRange"]
        for _ in range(1000):
            r = streams.get_records(ShardIterator=it)
            keys += [x["dynamodb"]["Keys"]["pk"]["S"] for x in r["Records"]]
            it = r.get("NextShardIterator")
            if it is None:
                assert closed, "only a closed shard ends"
                break
            if not r["Records"] and not closed:
                break
        else:
            raise AssertionError("shard did not drain")
    return keys


def test_records_survive_kill9_and_restart_starts_a_shard(server):
    s = server()
    client, streams, name, arn = stream_table_on(s)
    for i in range(50):
        client.put_item(TableName=name, Item={"pk": S(f"a{i:02}")})
    s.kill()
    s = server()
    client, streams = mt.make_client(s.endpoint), mt.make_streams_client(s.endpoint)
    shards = shards_in_order(streams, arn)
    assert len(shards) == 2
    assert "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]
    assert shards[1]["ParentShardId"] == shards[0]["ShardId"]
    for i in range(5):
        client.put_item(TableName=name, Item={"pk": S(f"b{i}")})
    assert read_stream(streams, arn) == [f"a{i:02}" for i in range(50)] + [f"b{i}" for i in range(5)]


def test_shards_roll_over_at_the_size_bound(server):
    s = server("--stream-shard-max-records", "4")
    client, streams, name, arn = stream_table_on(s)
    for i in range(20):
        client.put_item(TableName=name, Item={"pk": S(f"k{i:02}")})
    # A transaction's records stay in one shard even past the bound.
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": S(f"t{i}")}}} for i in range(6)])
    shards = shards_in_order(streams, arn)
    assert len(shards) >= 5, shards
    keys = read_stream(streams, arn)
    assert keys[:20] == [f"k{i:02}" for i in range(20)]
    assert sorted(keys[20:]) == [f"t{i}" for i in range(6)]


def test_closed_shard_iterator_ends_and_latest_of_closed_shard(server):
    s = server("--stream-shard-max-records", "2")
    client, streams, name, arn = stream_table_on(s)
    for i in range(3):
        client.put_item(TableName=name, Item={"pk": S(f"c{i}")})
    first = shards_in_order(streams, arn)[0]
    assert "EndingSequenceNumber" in first["SequenceNumberRange"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=first["ShardId"],
                                    ShardIteratorType="LATEST")["ShardIterator"]
    r = streams.get_records(ShardIterator=it)
    assert r["Records"] == [] and "NextShardIterator" not in r


def test_retention_trims_records_and_old_positions(server):
    # Records older than 2 s are trimmed by the maintenance pass (every 200 ms here).
    s = server("--stream-retention-s", "2", "--ttl-sweep-interval-ms", "200")
    client, streams, name, arn = stream_table_on(s)
    client.put_item(TableName=name, Item={"pk": S("old")})
    shard = shards_in_order(streams, arn)[0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    old_seq = streams.get_records(ShardIterator=it)["Records"][0]["dynamodb"]["SequenceNumber"]
    time.sleep(3.5)
    client.put_item(TableName=name, Item={"pk": S("new")})
    mt.expect_error(lambda: streams.get_records(ShardIterator=it), "TrimmedDataAccessException")
    mt.expect_error(lambda: streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=old_seq), "TrimmedDataAccessException")
    assert read_stream(streams, arn) == ["new"]
