"""What writes cost on secondary indexes (ReturnConsumedCapacity INDEXES and TOTAL), item
collection metrics of tables with local secondary indexes, and
ReturnValuesOnConditionCheckFailure. Written against DynamoDB's documented rules, so the file
also runs against real DynamoDB ($DYNAMODB_ENDPOINT):

- a write costs each index whose entry it adds or removes one write, two when it changes the
  index key (the old entry is deleted, the new one put), one when it changes only projected
  attributes, nothing when the entry stays the same or the item is in the index neither
  before nor after; TOTAL is the table's units plus the indexes';
- ItemCollectionMetrics comes back only for tables with an LSI: the partition key and a
  range of whole gigabytes ([0, 1] for a small collection).
"""
from __future__ import annotations

import time

import pytest

import meridian_testlib as mt
from meridian_testlib import S, N

GSI = "by_g"
LSI = "by_l"


@pytest.fixture
def indexed(dynamodb, tables):
    """pk/sk table: GSI by_g (g; ALL) and LSI by_l (pk, l; KEYS_ONLY)."""
    name = tables.name()
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": t}
                              for a, t in (("pk", "S"), ("sk", "S"), ("g", "S"), ("l", "N"))],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": GSI,
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": LSI,
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    mt.wait_active(dynamodb, name)
    return name


KEY = {"pk": S("p"), "sk": S("s")}


def put(dynamodb, table, mode="INDEXES", **attrs):
    return dynamodb.put_item(TableName=table, Item={**KEY, **attrs},
                             ReturnConsumedCapacity=mode)["ConsumedCapacity"]


def update(dynamodb, table, expr, values=None, mode="INDEXES"):
    kw = {"ExpressionAttributeValues": values} if values else {}
    return dynamodb.update_item(TableName=table, Key=KEY, UpdateExpression=expr,
                                ReturnConsumedCapacity=mode, **kw)["ConsumedCapacity"]


def index_units(cc):
    return ({k: v["CapacityUnits"] for k, v in cc.get("GlobalSecondaryIndexes", {}).items()},
            {k: v["CapacityUnits"] for k, v in cc.get("LocalSecondaryIndexes", {}).items()})


def test_write_not_in_any_index_costs_the_table_only(dynamodb, indexed):
    cc = put(dynamodb, indexed, pv=S("x"))
    assert cc["TableName"] == indexed
    assert cc["CapacityUnits"] == 1.0
    assert cc["Table"] == {"CapacityUnits": 1.0}
    assert index_units(cc) == ({}, {})


def test_index_write_rules(dynamodb, indexed):
    # Added to both indexes: one write each.
    cc = put(dynamodb, indexed, g=S("a"), l=N(1), pv=S("x"))
    assert index_units(cc) == ({GSI: 1.0}, {LSI: 1.0})
    assert cc["CapacityUnits"] == 3.0 and cc["Table"]["CapacityUnits"] == 1.0
    # GSI key changed: delete + put there; the KEYS_ONLY LSI entry is unchanged.
    cc = update(dynamodb, indexed, "SET g = :g", {":g": S("b")})
    assert index_units(cc) == ({GSI: 2.0}, {})
    assert cc["CapacityUnits"] == 3.0
    # A projected non-key attribute changed: one write to the ALL-projected GSI only.
    cc = update(dynamodb, indexed, "SET pv = :o", {":o": S("y")})
    assert index_units(cc) == ({GSI: 1.0}, {})
    assert cc["CapacityUnits"] == 2.0
    # LSI key changed: two writes there; the GSI (ALL) sees the new l as well.
    cc = update(dynamodb, indexed, "SET l = :l", {":l": N(2)})
    assert index_units(cc) == ({GSI: 1.0}, {LSI: 2.0})
    # The GSI key removed: one write (the entry's deletion).
    cc = update(dynamodb, indexed, "REMOVE g")
    assert index_units(cc) == ({GSI: 1.0}, {})
    # TOTAL counts the indexes too, without the breakdown.
    cc = update(dynamodb, indexed, "SET g = :g", {":g": S("c")}, mode="TOTAL")
    assert cc == {"TableName": indexed, "CapacityUnits": 2.0}
    # Deleting the item removes both entries.
    cc = dynamodb.delete_item(TableName=indexed, Key=KEY, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert index_units(cc) == ({GSI: 1.0}, {LSI: 1.0})
    assert cc["CapacityUnits"] == 3.0


def test_index_write_units_follow_the_entry_size(dynamodb, indexed):
    # The ALL-projected GSI entry is the whole item (~2.5 KB: 3 units); the KEYS_ONLY LSI
    # entry holds only keys (1 unit).
    cc = put(dynamodb, indexed, g=S("a"), l=N(1), big=S("x" * 2500))
    assert index_units(cc) == ({GSI: 3.0}, {LSI: 1.0})
    assert cc["CapacityUnits"] == 7.0


def test_batch_write_counts_index_writes(dynamodb, indexed):
    r = dynamodb.batch_write_item(RequestItems={indexed: [
        {"PutRequest": {"Item": {"pk": S("b"), "sk": S("1"), "g": S("a")}}},
        {"PutRequest": {"Item": {"pk": S("b"), "sk": S("2"), "g": S("a"), "l": N(1)}}},
        {"PutRequest": {"Item": {"pk": S("b"), "sk": S("3")}}},
    ]}, ReturnConsumedCapacity="INDEXES")
    [cc] = r["ConsumedCapacity"]
    assert cc["TableName"] == indexed
    assert cc["Table"] == {"CapacityUnits": 3.0}
    assert index_units(cc) == ({GSI: 2.0}, {LSI: 1.0})
    assert cc["CapacityUnits"] == 6.0


def test_index_reads_are_charged_to_the_index(dynamodb, indexed):
    for i in range(3):
        dynamodb.put_item(TableName=indexed, Item={"pk": S("q"), "sk": S(str(i)), "g": S("k"), "l": N(i)})

    def charged(**kw):
        # GSIs are eventually consistent on DynamoDB: poll until all three are there.
        deadline = time.time() + 60
        while True:
            r = dynamodb.query(TableName=indexed, ReturnConsumedCapacity="INDEXES", **kw)
            if r["Count"] == 3 or time.time() > deadline:
                assert r["Count"] == 3
                return r["ConsumedCapacity"]
            time.sleep(0.5)
    cc = charged(IndexName=GSI, KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": S("k")})
    assert index_units(cc) == ({GSI: 0.5}, {})
    assert cc["CapacityUnits"] == 0.5
    cc = charged(IndexName=LSI, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("q")},
                 ConsistentRead=True)
    assert index_units(cc) == ({}, {LSI: 1.0})
    assert cc["CapacityUnits"] == 1.0
    assert cc["Table"] == {"CapacityUnits": 0.0}
    # Attributes the KEYS_ONLY LSI does not project are fetched from the table: each fetched
    # item is also charged as a table read of the whole item.
    cc = charged(IndexName=LSI, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("q")},
                 ConsistentRead=True, Select="ALL_ATTRIBUTES")
    assert index_units(cc) == ({}, {LSI: 1.0})
    assert cc["Table"] == {"CapacityUnits": 3.0}
    assert cc["CapacityUnits"] == 4.0
    # A projection of projected attributes only needs no fetch.
    cc = charged(IndexName=LSI, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("q")},
                 ConsistentRead=True, ProjectionExpression="pk, sk, l")
    assert cc["Table"] == {"CapacityUnits": 0.0} and cc["CapacityUnits"] == 1.0
    cc = charged(IndexName=LSI, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("q")},
                 ConsistentRead=False, ProjectionExpression="g")
    assert cc["Table"] == {"CapacityUnits": 1.5} and cc["CapacityUnits"] == 2.0


def test_item_collection_metrics(dynamodb, indexed):
    expected = {"ItemCollectionKey": {"pk": S("p")}, "SizeEstimateRangeGB": [0.0, 1.0]}
    r = dynamodb.put_item(TableName=indexed, Item={**KEY, "l": N(1)}, ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == expected
    r = dynamodb.update_item(TableName=indexed, Key=KEY, UpdateExpression="SET x = :x",
                             ExpressionAttributeValues={":x": S("y")}, ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == expected
    r = dynamodb.delete_item(TableName=indexed, Key=KEY, ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == expected
    r = dynamodb.put_item(TableName=indexed, Item=KEY, ReturnItemCollectionMetrics="NONE")
    assert "ItemCollectionMetrics" not in r
    r = dynamodb.put_item(TableName=indexed, Item=KEY)
    assert "ItemCollectionMetrics" not in r
    r = dynamodb.batch_write_item(RequestItems={indexed: [
        {"PutRequest": {"Item": {"pk": S("c1"), "sk": S("1")}}},
        {"DeleteRequest": {"Key": {"pk": S("c2"), "sk": S("1")}}},
    ]}, ReturnItemCollectionMetrics="SIZE")
    metrics = r["ItemCollectionMetrics"][indexed]
    assert sorted(m["ItemCollectionKey"]["pk"]["S"] for m in metrics) == ["c1", "c2"]
    assert all(m["SizeEstimateRangeGB"] == [0.0, 1.0] for m in metrics)


@pytest.mark.parametrize("op", ["PutItem", "UpdateItem", "DeleteItem"])
def test_return_values_on_condition_check_failure(raw, hash_table, op):
    item = {"pk": S("k"), "v": N(1)}
    assert raw("PutItem", {"TableName": hash_table, "Item": item}).status == 200
    body = {"TableName": hash_table, "ConditionExpression": "attribute_not_exists(pk)"}
    if op == "PutItem":
        body["Item"] = {"pk": S("k"), "v": N(2)}
    else:
        body["Key"] = {"pk": S("k")}
    if op == "UpdateItem":
        body.update(UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": N(2)})

    r = raw(op, {**body, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    assert r.status == 400
    assert r.error_type.endswith("ConditionalCheckFailedException")
    assert r.json["Item"] == item
    r = raw(op, {**body, "ReturnValuesOnConditionCheckFailure": "NONE"})
    assert r.error_type.endswith("ConditionalCheckFailedException")
    assert "Item" not in r.json
    r = raw(op, body)
    assert "Item" not in r.json
    # No item: nothing to return.
    missing = dict(body, ConditionExpression="attribute_exists(pk)")
    if op == "PutItem":
        missing["Item"] = {"pk": S("other")}
    else:
        missing["Key"] = {"pk": S("other")}
    r = raw(op, {**missing, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    assert r.error_type.endswith("ConditionalCheckFailedException")
    assert "Item" not in r.json
    # A successful write ignores it.
    ok = dict(body, ConditionExpression="attribute_exists(pk)", ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert raw(op, ok).status == 200


def test_return_values_on_condition_check_failure_invalid(raw, hash_table):
    r = raw("PutItem", {"TableName": hash_table, "Item": {"pk": S("k")},
                        "ReturnValuesOnConditionCheckFailure": "ALL_NEW"})
    assert r.status == 400
    assert r.error_type.endswith("ValidationException")
    assert r.json["message"] == (
        "1 validation error detected: Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' "
        "failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]")
