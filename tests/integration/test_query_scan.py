"""Query (KeyConditionExpression, ordering, pagination) and Scan."""
from __future__ import annotations

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from meridian_testlib import S, N

NUM_SORT_KEYS = ["-10", "-2.5", "0", "2", "10", "100", "1000", "0.001", "-0.5", "12345678901234567890.5"]
NUMERIC_ORDER = sorted(NUM_SORT_KEYS, key=Decimal)

STR_SORT_KEYS = ["a", "ab", "abc", "b", "ba", "c", "Z", "0", "a b", "\u00e9", "\uff5e", "\U0001F600", "~"]
# DynamoDB orders strings by their UTF-8 bytes (== code point order, unlike UTF-16).
STR_ORDER = sorted(STR_SORT_KEYS, key=lambda s: s.encode("utf-8"))

BIN_SORT_KEYS = [b"\x00", b"\x00\x00", b"\x01", b"\x7f", b"\x80", b"\xff", b"\xff\xff", b"a"]
BIN_ORDER = sorted(BIN_SORT_KEYS)  # unsigned byte-wise


def sks(items, t):
    return [it["sk"][t] for it in items]


@pytest.fixture
def num_table(dynamodb, num_range_table):
    for sk in NUM_SORT_KEYS:
        dynamodb.put_item(TableName=num_range_table,
                          Item={"pk": S("p"), "sk": N(sk), "v": S(f"v{sk}")})
    # Neighbouring partitions must not leak into results.
    for other in ("o", "p0", "q"):
        dynamodb.put_item(TableName=num_range_table, Item={"pk": S(other), "sk": N(1)})
    return num_range_table


@pytest.fixture
def str_table(dynamodb, range_table):
    for sk in STR_SORT_KEYS:
        dynamodb.put_item(TableName=range_table, Item={"pk": S("p"), "sk": S(sk)})
    dynamodb.put_item(TableName=range_table, Item={"pk": S("pp"), "sk": S("a")})
    return range_table


def q(dynamodb, table, cond, values, **kw):
    return mt.full_query(dynamodb, TableName=table, KeyConditionExpression=cond,
                         ExpressionAttributeValues=values, ConsistentRead=True, **kw)


def test_numeric_sort_key_order(dynamodb, num_table):
    items = q(dynamodb, num_table, "pk = :p", {":p": S("p")})
    assert sks(items, "N") == NUMERIC_ORDER
    assert all(it["v"] == S(f"v{it['sk']['N']}") for it in items)
    back = q(dynamodb, num_table, "pk = :p", {":p": S("p")}, ScanIndexForward=False)
    assert sks(back, "N") == NUMERIC_ORDER[::-1]


def test_string_sort_key_order_is_utf8_bytewise(dynamodb, str_table):
    items = q(dynamodb, str_table, "pk = :p", {":p": S("p")})
    assert sks(items, "S") == STR_ORDER


def test_binary_sort_key_order_is_unsigned(dynamodb, tables):
    name = tables.create(("pk", "S"), ("sk", "B"))
    for sk in BIN_SORT_KEYS:
        dynamodb.put_item(TableName=name, Item={"pk": S("p"), "sk": {"B": sk}})
    items = q(dynamodb, name, "pk = :p", {":p": S("p")})
    assert sks(items, "B") == BIN_ORDER
    items = q(dynamodb, name, "pk = :p AND sk > :v", {":p": S("p"), ":v": {"B": b"\x7f"}})
    assert sks(items, "B") == [b for b in BIN_ORDER if b > b"\x7f"]


@pytest.mark.parametrize("op,bound,pred", [
    ("=", "10", lambda d: d == Decimal("10")),
    ("<", "2", lambda d: d < 2),
    ("<=", "2", lambda d: d <= 2),
    (">", "-2.5", lambda d: d > Decimal("-2.5")),
    (">=", "-2.5", lambda d: d >= Decimal("-2.5")),
    ("<", "-100", lambda d: d < -100),
    (">", "1E+19", lambda d: d > Decimal("1E+19")),
])
def test_key_condition_comparisons(dynamodb, num_table, op, bound, pred):
    items = q(dynamodb, num_table, f"pk = :p AND sk {op} :v", {":p": S("p"), ":v": N(bound)})
    assert sks(items, "N") == [k for k in NUMERIC_ORDER if pred(Decimal(k))]


def test_key_condition_between(dynamodb, num_table):
    items = q(dynamodb, num_table, "pk = :p AND sk BETWEEN :lo AND :hi",
              {":p": S("p"), ":lo": N("-2.5"), ":hi": N(10)})
    assert sks(items, "N") == [k for k in NUMERIC_ORDER if Decimal("-2.5") <= Decimal(k) <= 10]
    # Names can be used for key attributes too; reversed order works with ranges.
    items = q(dynamodb, num_table, "#p = :p AND #s BETWEEN :lo AND :hi",
              {":p": S("p"), ":lo": N(0), ":hi": N(100)}, ScanIndexForward=False,
              ExpressionAttributeNames={"#p": "pk", "#s": "sk"})
    assert sks(items, "N") == [k for k in NUMERIC_ORDER if 0 <= Decimal(k) <= 100][::-1]


def test_key_condition_begins_with(dynamodb, str_table):
    items = q(dynamodb, str_table, "pk = :p AND begins_with(sk, :pre)", {":p": S("p"), ":pre": S("ab")})
    assert sks(items, "S") == ["ab", "abc"]
    items = q(dynamodb, str_table, "pk = :p AND begins_with(sk, :pre)", {":p": S("p"), ":pre": S("a")})
    assert sks(items, "S") == ["a", "a b", "ab", "abc"]
    items = q(dynamodb, str_table, "pk = :p AND begins_with(sk, :pre)", {":p": S("p"), ":pre": S("\u00e9")})
    assert sks(items, "S") == ["\u00e9"]
    items = q(dynamodb, str_table, "pk = :p AND begins_with(sk, :pre)", {":p": S("p"), ":pre": S("zzz")})
    assert items == []


def test_string_range_conditions(dynamodb, str_table):
    items = q(dynamodb, str_table, "pk = :p AND sk BETWEEN :a AND :b", {":p": S("p"), ":a": S("ab"), ":b": S("b")})
    assert sks(items, "S") == ["ab", "abc", "b"]
    items = q(dynamodb, str_table, "pk = :p AND sk > :v", {":p": S("p"), ":v": S("c")})
    assert sks(items, "S") == [s for s in STR_ORDER if s.encode() > b"c"]


def test_query_empty_partition(dynamodb, num_table):
    resp = dynamodb.query(TableName=num_table, KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": S("nobody")})
    assert resp["Items"] == [] and resp["Count"] == 0 and resp["ScannedCount"] == 0
    assert "LastEvaluatedKey" not in resp


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("limit", [1, 3, 4, 10, 11])
def test_query_pagination(dynamodb, num_table, forward, limit):
    expected = NUMERIC_ORDER if forward else NUMERIC_ORDER[::-1]
    got, start, pages = [], None, 0
    while True:
        kw = dict(TableName=num_table, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": S("p")}, Limit=limit,
                  ScanIndexForward=forward, ConsistentRead=True)
        if start:
            kw["ExclusiveStartKey"] = start
        page = dynamodb.query(**kw)
        pages += 1
        assert page["Count"] == len(page["Items"]) <= limit
        assert page["ScannedCount"] == page["Count"]
        got.extend(page["Items"])
        start = page.get("LastEvaluatedKey")
        if start is None:
            break
        # A page that stops early is full, and its LastEvaluatedKey is exactly the
        # primary key of its last item.
        assert len(page["Items"]) == limit
        last = page["Items"][-1]
        assert start == {"pk": last["pk"], "sk": last["sk"]}
        assert pages <= len(expected) + 2
    assert sks(got, "N") == expected


def test_query_exclusive_start_key_mid_partition(dynamodb, num_table):
    items = q(dynamodb, num_table, "pk = :p AND sk >= :v", {":p": S("p"), ":v": N(0)},
              ExclusiveStartKey={"pk": S("p"), "sk": N(2)})
    assert sks(items, "N") == [k for k in NUMERIC_ORDER if Decimal(k) > 2]


def test_query_filter_applies_after_limit(dynamodb, num_range_table):
    for i in range(10):
        dynamodb.put_item(TableName=num_range_table,
                          Item={"pk": S("f"), "sk": N(i), "even": {"BOOL": i % 2 == 0}})
    page = dynamodb.query(TableName=num_range_table, KeyConditionExpression="pk = :p",
                          FilterExpression="even = :t", Limit=4, ConsistentRead=True,
                          ExpressionAttributeValues={":p": S("f"), ":t": {"BOOL": True}})
    assert page["ScannedCount"] == 4
    assert page["Count"] == 2 and sks(page["Items"], "N") == ["0", "2"]
    assert page["LastEvaluatedKey"] == {"pk": S("f"), "sk": N(3)}
    items = q(dynamodb, num_range_table, "pk = :p", {":p": S("f"), ":t": {"BOOL": True}},
              FilterExpression="even = :t", Limit=4)
    assert sks(items, "N") == ["0", "2", "4", "6", "8"]


def test_query_select_count_and_projection(dynamodb, num_table):
    resp = dynamodb.query(TableName=num_table, KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": S("p")}, Select="COUNT")
    assert resp["Count"] == len(NUM_SORT_KEYS)
    assert "Items" not in resp
    items = q(dynamodb, num_table, "pk = :p AND sk = :v", {":p": S("p"), ":v": N(10)},
              ProjectionExpression="v")
    assert items == [{"v": S("v10")}]
    items = q(dynamodb, num_table, "pk = :p AND sk = :v", {":p": S("p"), ":v": N(10)},
              ProjectionExpression="v", Select="SPECIFIC_ATTRIBUTES")
    assert items == [{"v": S("v10")}]


@pytest.mark.parametrize("op", ["query", "scan"])
@pytest.mark.parametrize("select", ["ALL_ATTRIBUTES", "COUNT"])
@pytest.mark.parametrize("projection", [dict(ProjectionExpression="v"), dict(AttributesToGet=["v"])])
def test_select_other_than_specific_contradicts_a_projection(dynamodb, num_table, op, select, projection):
    # Only SPECIFIC_ATTRIBUTES (or no Select) may come with a projection.
    kw = {}
    if op == "query" and "AttributesToGet" in projection:
        kw = dict(KeyConditions={"pk": {"AttributeValueList": [S("p")], "ComparisonOperator": "EQ"}})
    elif op == "query":
        kw = dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("p")})
    mt.expect_error(lambda: getattr(dynamodb, op)(TableName=num_table, Select=select, **projection, **kw),
                    "ValidationException",
                    "Cannot specify the AttributesToGet or ProjectionExpression when choosing to get " + select)


@pytest.mark.parametrize("cond,values", [
    ("sk = :v", {":v": N(1)}),                                   # no partition key condition
    ("pk > :p", {":p": S("p")}),                                 # partition key needs =
    ("pk = :p OR sk = :v", {":p": S("p"), ":v": N(1)}),          # OR is not allowed
    ("pk = :p AND sk > :a AND sk < :b", {":p": S("p"), ":a": N(1), ":b": N(5)}),
    ("pk = :p AND sk <> :v", {":p": S("p"), ":v": N(1)}),        # <> is not a key condition
    ("pk = :p AND begins_with(sk, :v)", {":p": S("p"), ":v": N(1)}),  # begins_with on N
    ("pk = :p AND v = :v", {":p": S("p"), ":v": S("x")}),        # non-key attribute
    ("pk = :p AND sk = :v", {":p": S("p"), ":v": S("1")}),       # wrong key type
    ("pk = :p AND sk BETWEEN :hi AND :lo", {":p": S("p"), ":hi": N(9), ":lo": N(1)}),
    ("pk = :p AND", {":p": S("p")}),                             # syntax error
])
def test_invalid_key_conditions(dynamodb, num_table, cond, values):
    with pytest.raises(ClientError) as ei:
        dynamodb.query(TableName=num_table, KeyConditionExpression=cond,
                       ExpressionAttributeValues=values)
    assert mt.error_code(ei.value) == "ValidationException", ei.value.response
    assert mt.http_status(ei.value) == 400


def test_key_condition_messages(dynamodb, num_table):
    with pytest.raises(ClientError) as ei:
        dynamodb.query(TableName=num_table, KeyConditionExpression="sk = :v",
                       ExpressionAttributeValues={":v": N(1)})
    assert mt.error_message(ei.value) == "Query condition missed key schema element: pk"
    with pytest.raises(ClientError) as ei:
        dynamodb.query(TableName=num_table, KeyConditionExpression="pk = :p",
                       FilterExpression="sk > :v",
                       ExpressionAttributeValues={":p": S("p"), ":v": N(1)})
    assert mt.error_code(ei.value) == "ValidationException"
    assert mt.error_message(ei.value) == \
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"


def test_query_missing_table(dynamodb):
    with pytest.raises(ClientError) as ei:
        dynamodb.query(TableName=mt.unique_name("it-missing"), KeyConditionExpression="pk = :p",
                       ExpressionAttributeValues={":p": S("p")})
    assert mt.error_code(ei.value) == "ResourceNotFoundException"


def test_query_paginator(dynamodb, num_table):
    pages = list(dynamodb.get_paginator("query").paginate(
        TableName=num_table, KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S("p")}, ConsistentRead=True,
        PaginationConfig={"PageSize": 3}))
    items = [it for p in pages for it in p["Items"]]
    assert sks(items, "N") == NUMERIC_ORDER
    assert len(pages) >= 4


def test_query_one_megabyte_page_limit(dynamodb, num_range_table):
    blob = "x" * (100 * 1024)
    for i in range(25):  # ~2.5 MB in one partition
        dynamodb.put_item(TableName=num_range_table, Item={"pk": S("big"), "sk": N(i), "blob": S(blob)})
    first = dynamodb.query(TableName=num_range_table, KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": S("big")}, ConsistentRead=True)
    assert "LastEvaluatedKey" in first, "a query result is capped at 1 MB per page"
    assert 0 < first["Count"] < 25
    assert first["Count"] * len(blob) <= 1024 * 1024 + 100 * 1024
    items = q(dynamodb, num_range_table, "pk = :p", {":p": S("big")})
    assert sks(items, "N") == [str(i) for i in range(25)]


# ---- Scan -------------------------------------------------------------------------

@pytest.fixture
def scan_table(dynamodb, hash_table):
    for i in range(57):
        dynamodb.put_item(TableName=hash_table,
                          Item={"pk": S(f"item-{i:03d}"), "n": N(i), "odd": {"BOOL": i % 2 == 1}})
    return hash_table


ALL_SCAN_KEYS = sorted(f"item-{i:03d}" for i in range(57))


@pytest.mark.parametrize("limit", [1, 7, 19, 57, 100])
def test_scan_pagination_covers_every_item_once(dynamodb, scan_table, limit):
    seen, start, pages = [], None, 0
    while True:
        kw = dict(TableName=scan_table, Limit=limit, ConsistentRead=True)
        if start:
            kw["ExclusiveStartKey"] = start
        page = dynamodb.scan(**kw)
        pages += 1
        assert page["Count"] == len(page["Items"]) <= limit
        assert page["ScannedCount"] == page["Count"]
        seen.extend(it["pk"]["S"] for it in page["Items"])
        start = page.get("LastEvaluatedKey")
        if start is None:
            break
        assert len(page["Items"]) == limit
        assert start == {"pk": page["Items"][-1]["pk"]}
        assert pages <= 60
    assert len(seen) == len(set(seen)), "scan returned an item twice"
    assert sorted(seen) == ALL_SCAN_KEYS


def test_scan_filter_and_count(dynamodb, scan_table):
    items = mt.full_scan(dynamodb, TableName=scan_table, FilterExpression="odd = :t AND n < :max",
                         ExpressionAttributeValues={":t": {"BOOL": True}, ":max": N(20)},
                         ConsistentRead=True, Limit=10)
    assert sorted(int(it["n"]["N"]) for it in items) == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]
    resp = dynamodb.scan(TableName=scan_table, Select="COUNT", ConsistentRead=True)
    assert resp["Count"] == 57 and resp["ScannedCount"] == 57
    assert "Items" not in resp
    page = dynamodb.scan(TableName=scan_table, Limit=10, FilterExpression="n = :v",
                         ExpressionAttributeValues={":v": N(-1)}, ConsistentRead=True)
    assert page["ScannedCount"] == 10 and page["Count"] == 0 and "LastEvaluatedKey" in page


def test_scan_projection(dynamodb, scan_table):
    items = mt.full_scan(dynamodb, TableName=scan_table, ProjectionExpression="n", ConsistentRead=True)
    assert sorted(int(it["n"]["N"]) for it in items) == list(range(57))
    assert all(set(it) == {"n"} for it in items)


def test_parallel_scan_segments(dynamodb, scan_table):
    seen = []
    for seg in range(4):
        items = mt.full_scan(dynamodb, TableName=scan_table, Segment=seg, TotalSegments=4,
                             Limit=5, ConsistentRead=True)
        seen.extend(it["pk"]["S"] for it in items)
    assert sorted(seen) == ALL_SCAN_KEYS


def test_scan_paginator(dynamodb, scan_table):
    pages = list(dynamodb.get_paginator("scan").paginate(TableName=scan_table, ConsistentRead=True,
                                                          PaginationConfig={"PageSize": 10}))
    keys = [it["pk"]["S"] for p in pages for it in p["Items"]]
    assert sorted(keys) == ALL_SCAN_KEYS and len(keys) == 57
    assert len(pages) >= 6
    # MaxItems truncates and hands back a resume token that continues exactly there.
    first = dynamodb.get_paginator("scan").paginate(
        TableName=scan_table, ConsistentRead=True,
        PaginationConfig={"PageSize": 10, "MaxItems": 25}).build_full_result()
    assert len(first["Items"]) == 25 and "NextToken" in first
    rest = dynamodb.get_paginator("scan").paginate(
        TableName=scan_table, ConsistentRead=True,
        PaginationConfig={"PageSize": 10, "StartingToken": first["NextToken"]}).build_full_result()
    both = [it["pk"]["S"] for it in first["Items"] + rest["Items"]]
    assert sorted(both) == ALL_SCAN_KEYS


def test_scan_range_table_pagination(dynamodb, num_range_table):
    expected = []
    for p in range(6):
        for s in range(5):
            dynamodb.put_item(TableName=num_range_table, Item={"pk": S(f"p{p}"), "sk": N(s)})
            expected.append((f"p{p}", str(s)))
    got, start = [], None
    while True:
        kw = dict(TableName=num_range_table, Limit=4, ConsistentRead=True)
        if start:
            kw["ExclusiveStartKey"] = start
        page = dynamodb.scan(**kw)
        got.extend((it["pk"]["S"], it["sk"]["N"]) for it in page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "sk"}
    assert sorted(got) == sorted(expected) and len(got) == len(set(got))
    # Within a partition, scan returns items in sort-key order.
    by_pk = {}
    for pk, sk in got:
        by_pk.setdefault(pk, []).append(int(sk))
    assert all(v == sorted(v) for v in by_pk.values())
