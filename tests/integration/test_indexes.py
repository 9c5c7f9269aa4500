"""Secondary indexes: GSIs and LSIs at CreateTable, UpdateTable GlobalSecondaryIndexUpdates,
and Query/Scan with IndexName. Written against DynamoDB's documented behaviour, so the file
also runs against real DynamoDB ($DYNAMODB_ENDPOINT); GSI reads poll, since GSIs are
eventually consistent there."""
from __future__ import annotations

import time

import pytest

import meridian_testlib as mt
from meridian_testlib import S, N

INVALID = "One or more parameter values were invalid: "


def keys(*pairs):
    return [{"AttributeName": n, "KeyType": t} for n, t in pairs]


def defs(**types):
    return [{"AttributeName": n, "AttributeType": t} for n, t in types.items()]


def gsi(name, hash_key, range_key=None, projection="ALL", non_key=None, **extra):
    schema = [(hash_key, "HASH")] + ([(range_key, "RANGE")] if range_key else [])
    proj = {"ProjectionType": projection}
    if non_key is not None:
        proj["NonKeyAttributes"] = non_key
    return dict(IndexName=name, KeySchema=keys(*schema), Projection=proj, **extra)


def create(dynamodb, tables, attrs, key_schema, **extra):
    name = tables.name()
    extra.setdefault("BillingMode", "PAY_PER_REQUEST")
    dynamodb.create_table(TableName=name, AttributeDefinitions=defs(**attrs),
                          KeySchema=keys(*key_schema), **extra)
    mt.wait_active(dynamodb, name)
    return name


def eventually(fn, timeout=60):
    """fn() until it returns without AssertionError (GSIs are eventually consistent)."""
    deadline = time.time() + timeout
    while True:
        try:
            return fn()
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def wait_index_active(dynamodb, table, index, timeout=120):
    def check():
        t = dynamodb.describe_table(TableName=table)["Table"]
        found = [g for g in t.get("GlobalSecondaryIndexes", []) if g["IndexName"] == index]
        assert found and found[0]["IndexStatus"] == "ACTIVE", found
        return t
    return eventually(check, timeout)


def wait_index_gone(dynamodb, table, index, timeout=120):
    def check():
        t = dynamodb.describe_table(TableName=table)["Table"]
        assert index not in [g["IndexName"] for g in t.get("GlobalSecondaryIndexes", [])]
    eventually(check, timeout)


@pytest.fixture
def orders(dynamodb, tables):
    """pk/sk table with GSIs by_status (status, amount; ALL), by_customer (customer;
    KEYS_ONLY), by_day (day, amount; INCLUDE note) and an LSI by_amount (pk, amount; KEYS_ONLY)."""
    name = create(
        dynamodb, tables, dict(pk="S", sk="S", status="S", amount="N", customer="S", day="S"),
        [("pk", "HASH"), ("sk", "RANGE")],
        GlobalSecondaryIndexes=[gsi("by_status", "status", "amount"),
                                gsi("by_customer", "customer", projection="KEYS_ONLY"),
                                gsi("by_day", "day", "amount", "INCLUDE", ["note"])],
        LocalSecondaryIndexes=[gsi("by_amount", "pk", "amount", "KEYS_ONLY")])
    for i in range(20):
        item = {"pk": S(f"p{i % 3}"), "sk": S(f"s{i:02d}"), "amount": N(i * 10 - 50),
                "status": S("open" if i % 2 else "closed"), "customer": S(f"c{i % 4}"),
                "day": S("mon"), "note": S(f"n{i}"), "extra": S("x")}
        dynamodb.put_item(TableName=name, Item=item)
    # Not in by_status: no status. Not in by_day: no day.
    dynamodb.put_item(TableName=name, Item={"pk": S("p0"), "sk": S("nostatus"), "amount": N(1)})
    return name


def test_index_keys_are_validated_on_every_write_path(dynamodb, orders):
    """DynamoDB rejects an item whose GSI/LSI key attribute has another type than the
    index's AttributeDefinitions, or an empty string/binary, and writes nothing."""
    mismatch = INVALID + "Type mismatch for Index Key status Expected: S Actual: N IndexName: by_status"
    bad = {"pk": S("p9"), "sk": S("bad"), "status": N(3)}
    mt.expect_error(lambda: dynamodb.put_item(TableName=orders, Item=bad),
                    "ValidationException", mismatch)
    mt.expect_error(lambda: dynamodb.batch_write_item(
        RequestItems={orders: [{"PutRequest": {"Item": bad}}]}), "ValidationException", mismatch)
    mt.expect_error(lambda: dynamodb.update_item(
        TableName=orders, Key={"pk": S("p9"), "sk": S("bad")}, UpdateExpression="SET #s = :v",
        ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":v": N(3)}),
        "ValidationException", mismatch)
    mt.expect_error(lambda: dynamodb.update_item(
        TableName=orders, Key={"pk": S("p9"), "sk": S("bad")}, UpdateExpression="SET amount = :v",
        ExpressionAttributeValues={":v": {"NULL": True}}), "ValidationException",
        contains=INVALID + "Type mismatch for Index Key amount Expected: N Actual: NULL IndexName: by_")
    mt.expect_error(lambda: dynamodb.put_item(
        TableName=orders, Item={"pk": S("p9"), "sk": S("bad"), "customer": S("")}),
        "ValidationException",
        "One or more parameter values are not valid. A value specified for a secondary index key "
        "is not supported. The AttributeValue for a key attribute cannot contain an empty string "
        "value. IndexName: by_customer, IndexKey: customer")
    e = mt.expect_error(lambda: dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": orders, "Item": bad}}]),
        "TransactionCanceledException")
    assert e.response["CancellationReasons"][0]["Code"] == "ValidationError"
    assert e.response["CancellationReasons"][0]["Message"] == mismatch
    assert "Item" not in dynamodb.get_item(TableName=orders, Key={"pk": S("p9"), "sk": S("bad")},
                                           ConsistentRead=True)
    # A non-key attribute of any type, and an absent index key, are fine.
    dynamodb.put_item(TableName=orders, Item={"pk": S("p9"), "sk": S("ok"), "note": N(1)})


def query(dynamodb, table, index, cond, values, **kw):
    return mt.full_query(dynamodb, TableName=table, IndexName=index, KeyConditionExpression=cond,
                         ExpressionAttributeValues=values, **kw)


def test_describe_table_shows_indexes(dynamodb, orders):
    t = dynamodb.describe_table(TableName=orders)["Table"]
    assert {d["AttributeName"] for d in t["AttributeDefinitions"]} == {
        "pk", "sk", "status", "amount", "customer", "day"}
    g = {i["IndexName"]: i for i in t["GlobalSecondaryIndexes"]}
    assert set(g) == {"by_status", "by_customer", "by_day"}
    assert g["by_status"]["KeySchema"] == keys(("status", "HASH"), ("amount", "RANGE"))
    assert g["by_status"]["Projection"] == {"ProjectionType": "ALL"}
    assert g["by_day"]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}
    assert g["by_customer"]["IndexStatus"] == "ACTIVE"
    assert g["by_customer"]["IndexArn"] == t["TableArn"] + "/index/by_customer"
    for i in g.values():
        assert "ItemCount" in i and "IndexSizeBytes" in i and "ProvisionedThroughput" in i
    (lsi,) = t["LocalSecondaryIndexes"]
    assert lsi["IndexName"] == "by_amount" and "IndexStatus" not in lsi
    assert lsi["KeySchema"] == keys(("pk", "HASH"), ("amount", "RANGE"))
    if not mt.IS_EXTERNAL:  # DynamoDB refreshes counts every ~6 hours
        assert g["by_status"]["ItemCount"] == 20
        assert g["by_customer"]["ItemCount"] == 20
        assert lsi["ItemCount"] == 21


def test_gsi_query_sort_order_and_projection(dynamodb, orders):
    def check():
        items = query(dynamodb, orders, "by_status", "#s = :s", {":s": S("open")},
                      ExpressionAttributeNames={"#s": "status"})
        assert [int(i["amount"]["N"]) for i in items] == [i * 10 - 50 for i in range(1, 20, 2)]
        assert all(i["extra"] == S("x") for i in items)  # ALL projection
        back = query(dynamodb, orders, "by_status", "#s = :s AND amount BETWEEN :a AND :b",
                     {":s": S("open"), ":a": N(-40), ":b": N(50)}, ScanIndexForward=False,
                     ExpressionAttributeNames={"#s": "status"})
        assert [int(i["amount"]["N"]) for i in back] == [40, 20, 0, -20, -40]
    eventually(check)


def test_keys_only_and_include_projections(dynamodb, orders):
    def check():
        items = query(dynamodb, orders, "by_customer", "customer = :c", {":c": S("c1")})
        assert sorted(i["sk"]["S"] for i in items) == ["s01", "s05", "s09", "s13", "s17"]
        assert all(set(i) == {"pk", "sk", "customer"} for i in items)
        items = query(dynamodb, orders, "by_day", "#d = :d AND amount > :a", {":d": S("mon"), ":a": N(100)},
                      ExpressionAttributeNames={"#d": "day"})
        assert [i["amount"] for i in items] == [N(110), N(120), N(130), N(140)]
        assert all(set(i) == {"pk", "sk", "day", "amount", "note"} for i in items)
        # Only projected attributes come back from a GSI, whatever ProjectionExpression asks.
        items = query(dynamodb, orders, "by_day", "#d = :d AND amount = :a", {":d": S("mon"), ":a": N(140)},
                      ExpressionAttributeNames={"#d": "day"}, ProjectionExpression="note, sk")
        assert items == [{"note": S("n19"), "sk": S("s19")}]
    eventually(check)


def test_items_without_index_keys_are_not_indexed(dynamodb, orders):
    def check():
        items = mt.full_scan(dynamodb, TableName=orders, IndexName="by_status")
        assert len(items) == 20
        assert all(i["status"]["S"] in ("open", "closed") for i in items)
    eventually(check)


def test_pagination_last_evaluated_key_has_table_and_index_keys(dynamodb, orders):
    def check():
        seen, start, pages = [], None, 0
        while True:
            kw = {"ExclusiveStartKey": start} if start else {}
            page = dynamodb.query(TableName=orders, IndexName="by_status", Limit=3,
                                  KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
                                  ExpressionAttributeValues={":s": S("closed")}, **kw)
            seen += [i["sk"]["S"] for i in page["Items"]]
            pages += 1
            start = page.get("LastEvaluatedKey")
            if not start:
                break
            assert set(start) == {"pk", "sk", "status", "amount"}
        assert seen == [f"s{i:02d}" for i in range(0, 20, 2)]
        assert pages == 4
    eventually(check)


def test_index_follows_updates_and_deletes(dynamodb, orders):
    dynamodb.update_item(TableName=orders, Key={"pk": S("p1"), "sk": S("s01")},
                         UpdateExpression="SET #s = :c", ExpressionAttributeNames={"#s": "status"},
                         ExpressionAttributeValues={":c": S("shipped")})
    dynamodb.delete_item(TableName=orders, Key={"pk": S("p0"), "sk": S("s03")})
    dynamodb.update_item(TableName=orders, Key={"pk": S("p2"), "sk": S("s05")},
                         UpdateExpression="REMOVE #s", ExpressionAttributeNames={"#s": "status"})

    def check():
        shipped = query(dynamodb, orders, "by_status", "#s = :s", {":s": S("shipped")},
                        ExpressionAttributeNames={"#s": "status"})
        assert [i["sk"]["S"] for i in shipped] == ["s01"]
        open_ = query(dynamodb, orders, "by_status", "#s = :s", {":s": S("open")},
                      ExpressionAttributeNames={"#s": "status"})
        assert [i["sk"]["S"] for i in open_] == ["s07", "s09", "s11", "s13", "s15", "s17", "s19"]
    eventually(check)


def test_lsi_query_consistent_and_all_attributes(dynamodb, orders):
    items = query(dynamodb, orders, "by_amount", "pk = :p AND amount < :a", {":p": S("p0"), ":a": N(0)},
                  ConsistentRead=True)
    assert [i["sk"]["S"] for i in items] == ["s00", "s03"]
    assert all(set(i) == {"pk", "sk", "amount"} for i in items)
    full = query(dynamodb, orders, "by_amount", "pk = :p AND amount < :a", {":p": S("p0"), ":a": N(0)},
                 ConsistentRead=True, Select="ALL_ATTRIBUTES")
    assert [i["note"]["S"] for i in full] == ["n0", "n3"]
    count = dynamodb.query(TableName=orders, IndexName="by_amount", Select="COUNT",
                           KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("p0")})
    assert count["Count"] == 8 and "Items" not in count


def test_query_and_scan_errors(dynamodb, orders):
    base = dict(TableName=orders, KeyConditionExpression="customer = :c",
                ExpressionAttributeValues={":c": S("c1")})
    mt.expect_error(lambda: dynamodb.query(IndexName="nope", **base), "ValidationException",
                    "The table does not have the specified index: nope")
    mt.expect_error(lambda: dynamodb.scan(TableName=orders, IndexName="nope"), "ValidationException",
                    "The table does not have the specified index: nope")
    mt.expect_error(lambda: dynamodb.query(IndexName="by_customer", ConsistentRead=True, **base),
                    "ValidationException", "Consistent reads are not supported on global secondary indexes")
    mt.expect_error(lambda: dynamodb.query(IndexName="by_customer", Select="ALL_ATTRIBUTES", **base),
                    "ValidationException",
                    INVALID + "Select type ALL_ATTRIBUTES is not supported for global secondary index "
                    "by_customer because its projection type is not ALL")
    mt.expect_error(lambda: dynamodb.scan(TableName=orders, Select="ALL_PROJECTED_ATTRIBUTES"),
                    "ValidationException",
                    "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    mt.expect_error(lambda: dynamodb.query(IndexName="by_customer", TableName=orders,
                                           KeyConditionExpression="pk = :c",
                                           ExpressionAttributeValues={":c": S("p1")}),
                    "ValidationException", "Query condition missed key schema element: customer")


def test_parallel_scan_of_index(dynamodb, orders):
    def check():
        total = []
        for seg in range(4):
            total += mt.full_scan(dynamodb, TableName=orders, IndexName="by_customer",
                                  Segment=seg, TotalSegments=4, Limit=4)
        assert sorted(i["sk"]["S"] for i in total) == [f"s{i:02d}" for i in range(20)]
    eventually(check)


def test_gsi_on_hash_only_table_with_number_key(dynamodb, tables):
    name = create(dynamodb, tables, dict(id="S", score="N"), [("id", "HASH")],
                  GlobalSecondaryIndexes=[gsi("by_score", "score", projection="KEYS_ONLY")])
    for i in range(6):
        dynamodb.put_item(TableName=name, Item={"id": S(f"i{i}"), "score": N(i % 2)})

    def check():
        items = query(dynamodb, name, "by_score", "score = :s", {":s": N(1)})
        assert sorted(i["id"]["S"] for i in items) == ["i1", "i3", "i5"]
    eventually(check)


def test_update_table_creates_and_deletes_gsi(dynamodb, tables):
    name = create(dynamodb, tables, dict(pk="S"), [("pk", "HASH")])
    for i in range(50):
        dynamodb.put_item(TableName=name, Item={"pk": S(f"k{i}"), "g": S(f"g{i % 5}"), "v": N(i)})
    out = dynamodb.update_table(
        TableName=name, AttributeDefinitions=defs(g="S", v="N"),
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by_g", "g", "v", "INCLUDE", ["pk"])}])
    (created,) = out["TableDescription"]["GlobalSecondaryIndexes"]
    assert created["IndexName"] == "by_g" and created["IndexStatus"] in ("CREATING", "ACTIVE")
    mt.expect_error(
        lambda: dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[
            {"Create": gsi("a_b", "g")}, {"Delete": {"IndexName": "by_g"}}]),
        "LimitExceededException",
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
    wait_index_active(dynamodb, name, "by_g")
    dynamodb.put_item(TableName=name, Item={"pk": S("late"), "g": S("g3"), "v": N(1000)})

    def check():
        items = query(dynamodb, name, "by_g", "g = :g", {":g": S("g3")})
        assert [int(i["v"]["N"]) for i in items] == [3, 8, 13, 18, 23, 28, 33, 38, 43, 48, 1000]
    eventually(check)
    out = dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
    (deleting,) = out["TableDescription"]["GlobalSecondaryIndexes"]
    assert deleting["IndexStatus"] == "DELETING"
    wait_index_gone(dynamodb, name, "by_g")
    mt.expect_error(lambda: query(dynamodb, name, "by_g", "g = :g", {":g": S("g3")}),
                    "ValidationException", "The table does not have the specified index: by_g")
    mt.expect_error(
        lambda: dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}]),
        "ResourceNotFoundException")


def test_provisioned_gsi_throughput(dynamodb, tables):
    name = create(dynamodb, tables, dict(pk="S", g="S"), [("pk", "HASH")], BillingMode="PROVISIONED",
                  ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2},
                  GlobalSecondaryIndexes=[gsi("by_g", "g", ProvisionedThroughput={
                      "ReadCapacityUnits": 3, "WriteCapacityUnits": 4})])
    (g,) = dynamodb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert g["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert g["ProvisionedThroughput"]["WriteCapacityUnits"] == 4


def test_delete_table_drops_indexes(dynamodb, tables):
    spec = dict(attrs=dict(pk="S", g="S"), key_schema=[("pk", "HASH")],
                GlobalSecondaryIndexes=[gsi("by_g", "g")])
    name = create(dynamodb, tables, **spec)
    dynamodb.put_item(TableName=name, Item={"pk": S("a"), "g": S("x")})
    dynamodb.delete_table(TableName=name)
    mt.wait_gone(dynamodb, name)
    spec["attrs"] = dict(pk="S", g="S")
    dynamodb.create_table(TableName=name, AttributeDefinitions=defs(**spec["attrs"]),
                          KeySchema=keys(*spec["key_schema"]), BillingMode="PAY_PER_REQUEST",
                          GlobalSecondaryIndexes=spec["GlobalSecondaryIndexes"])
    mt.wait_active(dynamodb, name)
    assert query(dynamodb, name, "by_g", "g = :g", {":g": S("x")}) == []


CREATE_ERRORS = [
    (dict(LocalSecondaryIndexes=[gsi("lsi", "pk", "a")]), dict(pk="S", a="S"), [("pk", "HASH")],
     INVALID + "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"),
    (dict(LocalSecondaryIndexes=[gsi("lsi", "a", "sk")]), dict(pk="S", sk="S", a="S"), None,
     INVALID + "Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi. "
     "index hash key: a, table hash key: pk"),
    (dict(LocalSecondaryIndexes=[gsi("lsi", "pk")]), dict(pk="S", sk="S"), None,
     INVALID + "Index KeySchema does not have a range key for index: lsi"),
    (dict(GlobalSecondaryIndexes=[gsi("gsi1", "a"), gsi("gsi1", "a")]), dict(pk="S", sk="S", a="S"), None,
     INVALID + "Duplicate index name: gsi1"),
    (dict(GlobalSecondaryIndexes=[gsi("gsi1", "b")]), dict(pk="S", sk="S", a="S"), None,
     INVALID + "Some index key attributes are not defined in AttributeDefinitions. Keys: [b], "
     "AttributeDefinitions: [a, pk, sk]"),
    (dict(GlobalSecondaryIndexes=[gsi("gsi1", "a")]), dict(pk="S", sk="S", a="S", b="N"), None,
     INVALID + "Some AttributeDefinitions are not used. AttributeDefinitions: [a, b, pk, sk], keys used: [pk, sk, a]"),
    (dict(GlobalSecondaryIndexes=[gsi("gsi1", "a", projection="ALL", non_key=["x"])]), dict(pk="S", sk="S", a="S"), None,
     INVALID + "ProjectionType is ALL, but NonKeyAttributes is specified"),
    (dict(GlobalSecondaryIndexes=[gsi("gsi1", "a", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})]),
     dict(pk="S", sk="S", a="S"), None,
     INVALID + "ProvisionedThroughput should not be specified for index: gsi1 when BillingMode is PAY_PER_REQUEST"),
    (dict(GlobalSecondaryIndexes=[gsi(f"g{i:02d}", "a") for i in range(21)]), dict(pk="S", sk="S", a="S"), None,
     INVALID + "GlobalSecondaryIndex count exceeds the per-table limit of 20"),
    (dict(LocalSecondaryIndexes=[gsi(f"l{i:02d}", "pk", "a") for i in range(6)]), dict(pk="S", sk="S", a="S"), None,
     INVALID + "Number of LocalSecondaryIndexes exceeds per-table limit of 5"),
    (dict(GlobalSecondaryIndexes=[gsi("gsi1", "a", "a")]), dict(pk="S", sk="S", a="S"), None,
     "Both the Hash Key and the Range Key element in the KeySchema have the same name"),
    (dict(GlobalSecondaryIndexes=[gsi("gi!", "a")]), dict(pk="S", sk="S", a="S"), None,
     "1 validation error detected: Value 'gi!' at 'globalSecondaryIndexes.1.member.indexName' failed to "
     "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
]


@pytest.mark.parametrize("extra,attrs,key_schema,message", CREATE_ERRORS)
def test_create_table_index_validation(dynamodb, tables, extra, attrs, key_schema, message):
    key_schema = key_schema or [("pk", "HASH"), ("sk", "RANGE")]
    mt.expect_error(lambda: dynamodb.create_table(
        TableName=tables.name(), AttributeDefinitions=defs(**attrs), KeySchema=keys(*key_schema),
        BillingMode="PAY_PER_REQUEST", **extra), "ValidationException", message)
