"""ReturnConsumedCapacity: DynamoDB's capacity-unit arithmetic and response shapes.

Reads cost ceil(size / 4 KB) (at least 1), half when eventually consistent; Query and Scan
round the sum of the item sizes read once per request. Writes cost ceil(size / 1 KB) of the
larger of the old and new item. Item sizes here stay well away from unit boundaries.
"""
from __future__ import annotations

import pytest

from meridian_testlib import S, N, expect_error


def _item(pk, nbytes, **extra):
    return {"pk": S(pk), "data": S("x" * nbytes), **extra}


def test_put_total_and_indexes(dynamodb, hash_table):
    r = dynamodb.put_item(TableName=hash_table, Item=_item("a", 10), ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": hash_table, "CapacityUnits": 1.0}
    r = dynamodb.put_item(TableName=hash_table, Item=_item("b", 1500), ReturnConsumedCapacity="INDEXES")
    cc = r["ConsumedCapacity"]
    assert cc["TableName"] == hash_table
    assert cc["CapacityUnits"] == 2.0
    assert cc["Table"] == {"CapacityUnits": 2.0}


def test_write_charges_larger_of_old_and_new(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item=_item("a", 3000))
    r = dynamodb.put_item(TableName=hash_table, Item=_item("a", 10), ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 3.0
    r = dynamodb.update_item(TableName=hash_table, Key={"pk": S("a")},
                             UpdateExpression="SET #d = :d", ExpressionAttributeNames={"#d": "data"},
                             ExpressionAttributeValues={":d": S("y" * 1200)},
                             ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 2.0
    r = dynamodb.delete_item(TableName=hash_table, Key={"pk": S("a")}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 2.0
    r = dynamodb.delete_item(TableName=hash_table, Key={"pk": S("a")}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_get_item_units(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item=_item("small", 10))
    dynamodb.put_item(TableName=hash_table, Item=_item("big", 5000))

    def units(key, consistent):
        r = dynamodb.get_item(TableName=hash_table, Key={"pk": S(key)}, ConsistentRead=consistent,
                              ReturnConsumedCapacity="TOTAL")
        assert r["ConsumedCapacity"]["TableName"] == hash_table
        return r["ConsumedCapacity"]["CapacityUnits"]
    assert units("small", True) == 1.0
    assert units("small", False) == 0.5
    assert units("big", True) == 2.0
    assert units("big", False) == 1.0
    assert units("missing", True) == 1.0
    # A projection does not change what is read.
    r = dynamodb.get_item(TableName=hash_table, Key={"pk": S("big")}, ConsistentRead=True,
                          ProjectionExpression="pk", ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 2.0
    assert r["ConsumedCapacity"]["Table"] == {"CapacityUnits": 2.0}


def test_query_and_scan_round_once_per_request(dynamodb, range_table):
    for sk in ("1", "2", "3"):
        dynamodb.put_item(TableName=range_table,
                          Item={"pk": S("q"), "sk": S(sk), "v": N(sk), "data": S("x" * 2000)})
    common = dict(TableName=range_table, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": S("q")}, ReturnConsumedCapacity="TOTAL")
    # ~6 KB read: 2 units, not 3 (per-item rounding) .
    r = dynamodb.query(ConsistentRead=True, **common)
    assert r["ConsumedCapacity"] == {"TableName": range_table, "CapacityUnits": 2.0}
    r = dynamodb.query(ConsistentRead=False, **common)
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0
    # Filtered-out items were read all the same.
    r = dynamodb.query(ConsistentRead=True, Select="COUNT",
                       FilterExpression="v = :v",
                       **{**common, "ExpressionAttributeValues": {":p": S("q"), ":v": N(2)}})
    assert r["Count"] == 1
    assert r["ConsumedCapacity"]["CapacityUnits"] == 2.0
    r = dynamodb.query(ConsistentRead=True,
                       **{**common, "ExpressionAttributeValues": {":p": S("none")}})
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0
    r = dynamodb.scan(TableName=range_table, ConsistentRead=True, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 2.0
    assert r["ConsumedCapacity"]["Table"] == {"CapacityUnits": 2.0}


def test_batch_capacity_per_table(dynamodb, hash_table, range_table):
    r = dynamodb.batch_write_item(RequestItems={
        hash_table: [{"PutRequest": {"Item": _item(f"h{i}", 1500)}} for i in range(3)],
        range_table: [{"PutRequest": {"Item": {"pk": S("r"), "sk": S("s"), "data": S("x" * 10)}}}],
    }, ReturnConsumedCapacity="TOTAL")
    assert sorted(r["ConsumedCapacity"], key=lambda c: c["TableName"]) == sorted([
        {"TableName": hash_table, "CapacityUnits": 6.0},
        {"TableName": range_table, "CapacityUnits": 1.0},
    ], key=lambda c: c["TableName"])
    dynamodb.put_item(TableName=hash_table, Item=_item("big", 5000))
    r = dynamodb.batch_get_item(RequestItems={
        hash_table: {"Keys": [{"pk": S("big")}, {"pk": S("h0")}], "ConsistentRead": True},
        range_table: {"Keys": [{"pk": S("r"), "sk": S("s")}]},
    }, ReturnConsumedCapacity="INDEXES")
    by_table = {c["TableName"]: c for c in r["ConsumedCapacity"]}
    assert by_table[hash_table]["CapacityUnits"] == 3.0
    assert by_table[hash_table]["Table"] == {"CapacityUnits": 3.0}
    assert by_table[range_table]["CapacityUnits"] == 0.5


@pytest.mark.parametrize("value", ["NONE", None])
def test_no_capacity_unless_asked(dynamodb, hash_table, value):
    kw = {"ReturnConsumedCapacity": value} if value else {}
    assert "ConsumedCapacity" not in dynamodb.put_item(TableName=hash_table, Item=_item("a", 1), **kw)
    assert "ConsumedCapacity" not in dynamodb.get_item(TableName=hash_table, Key={"pk": S("a")}, **kw)
    assert "ConsumedCapacity" not in dynamodb.scan(TableName=hash_table, **kw)
    r = dynamodb.batch_get_item(RequestItems={hash_table: {"Keys": [{"pk": S("a")}]}}, **kw)
    assert "ConsumedCapacity" not in r


def test_invalid_return_consumed_capacity(dynamodb, hash_table):
    expect_error(lambda: dynamodb.get_item(TableName=hash_table, Key={"pk": S("a")},
                                           ReturnConsumedCapacity="ALL"),
                 "ValidationException",
                 "1 validation error detected: Value 'ALL' at 'returnConsumedCapacity' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]")


def test_item_collection_metrics_accepted(dynamodb, hash_table):
    # DynamoDB returns ItemCollectionMetrics only for tables with local secondary indexes.
    r = dynamodb.put_item(TableName=hash_table, Item=_item("a", 1), ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in r
    r = dynamodb.batch_write_item(RequestItems={hash_table: [{"PutRequest": {"Item": _item("b", 1)}}]},
                                  ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in r
    expect_error(lambda: dynamodb.put_item(TableName=hash_table, Item=_item("a", 1),
                                           ReturnItemCollectionMetrics="ALL"),
                 "ValidationException",
                 "1 validation error detected: Value 'ALL' at 'returnItemCollectionMetrics' failed "
                 "to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]")


def test_number_item_sizes(dynamodb, hash_table):
    # Numbers are sized by significant digits (about one byte per two digits), not by their
    # text: 300 attributes "nNNN" of 38 digits are ~300 * (4 + 20) bytes, ~7 KB.
    item = {"pk": S("n"), **{f"n{i:03d}": N("1" * 38) for i in range(300)}}
    r = dynamodb.put_item(TableName=hash_table, Item=item, ReturnConsumedCapacity="TOTAL")
    assert 6.0 <= r["ConsumedCapacity"]["CapacityUnits"] <= 9.0
