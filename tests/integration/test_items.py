"""PutItem / GetItem / DeleteItem with every attribute type, ReturnValues, projections."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from meridian_testlib import S, N, canon

BIG = "12345678901234567890.123456789012345678"  # 38 significant digits: the maximum

EVERY_TYPE = {
    "s": {"S": "hello, wörld \u4e2d\u6587 \U0001F600"},
    "s_empty": {"S": ""},  # empty strings are fine outside keys
    "n_int": {"N": "42"},
    "n_neg": {"N": "-17.25"},
    "n_big": {"N": BIG},
    "n_tiny": {"N": "0.000000000000000000000000000000000000000000000000000000000000001"},
    "n_huge": {"N": "99999999999999999999999999999999999999" + "0" * 80},
    "b": {"B": b"\x00\x01\x02\xfe\xff binary"},
    "b_empty": {"B": b""},
    "t": {"BOOL": True},
    "f": {"BOOL": False},
    "nul": {"NULL": True},
    "m": {"M": {
        "str": {"S": "inner"},
        "num": {"N": "3.5"},
        "deep": {"M": {"l": {"L": [{"N": "1"}, {"S": "two"}, {"M": {}}]}}},
        "empty_map": {"M": {}},
        "set": {"SS": ["x", "y"]},
    }},
    "l": {"L": [{"S": "a"}, {"N": "1"}, {"BOOL": False}, {"NULL": True}, {"B": b"\x10"},
                {"L": [{"L": []}]}, {"M": {"k": {"S": "v"}}}, {"NS": ["1", "2"]}]},
    "l_empty": {"L": []},
    "ss": {"SS": ["banana", "apple", "cherry"]},
    "ns": {"NS": ["1", "-2.5", BIG, "0"]},
    "bs": {"BS": [b"\x00", b"\xff\x01", b"abc"]},
    # attribute names are arbitrary UTF-8, including spaces and punctuation
    "name with spaces.and.dots": {"S": "ok"},
    "\u00fcnic\u00f6de-\u540d": {"N": "1"},
    # U+0000 is a valid character: nothing after it may be lost in storage or replication
    "s_nul": {"S": "before\u0000after"},
    "ss_nul": {"SS": ["a\u0000b", "a"]},
    "name\u0000with nul": {"S": "v"},
}


def test_put_get_every_type(dynamodb, hash_table):
    item = {"pk": S("every-type"), **EVERY_TYPE}
    resp = dynamodb.put_item(TableName=hash_table, Item=item)
    assert "Attributes" not in resp
    got = dynamodb.get_item(TableName=hash_table, Key={"pk": S("every-type")}, ConsistentRead=True)
    assert canon(got["Item"]) == canon(item)
    # Exact text of the big decimal: never routed through a double.
    assert got["Item"]["n_big"] == {"N": BIG}
    assert got["Item"]["m"]["M"]["deep"]["M"]["l"]["L"][1] == {"S": "two"}


@pytest.mark.parametrize("sent,returned", [
    ("1.50", "1.5"),
    ("1E+2", "100"),
    ("1e2", "100"),
    ("-0", "0"),
    ("0.0", "0"),
    ("+7", "7"),
    ("007", "7"),
    (".5", "0.5"),
    ("1.23e-5", "0.0000123"),
    ("-1000.000", "-1000"),
    (BIG, BIG),
    ("-" + BIG, "-" + BIG),
])
def test_number_canonical_form(dynamodb, hash_table, sent, returned):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("num"), "v": {"N": sent}})
    got = dynamodb.get_item(TableName=hash_table, Key={"pk": S("num")}, ConsistentRead=True)
    assert got["Item"]["v"] == {"N": returned}


@pytest.mark.parametrize("value", [
    "9.9999999999999999999999999999999999999E+125",  # largest magnitude
    "-9.9999999999999999999999999999999999999E+125",
    "1E-130",  # smallest magnitude
    "-1E-130",
    "1.0000000000000000000000000000000000001",  # 38 digits spread around the point
])
def test_number_limits_round_trip_by_value(dynamodb, hash_table, value):
    from decimal import Decimal, localcontext
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("lim"), "v": {"N": value}})
    got = dynamodb.get_item(TableName=hash_table, Key={"pk": S("lim")}, ConsistentRead=True)
    with localcontext() as ctx:
        ctx.prec = 200
        assert Decimal(got["Item"]["v"]["N"]) == Decimal(value)


@pytest.mark.parametrize("bad,fragment", [
    ("123456789012345678901234567890123456789", "significant digits"),  # 39 digits
    ("1E+126", "overflow"),
    ("1E-131", "underflow"),
    ("abc", ""),
    ("NaN", ""),
    ("Infinity", ""),
    ("1 ", ""),
    ("", ""),
])
def test_number_out_of_range_or_invalid(dynamodb, hash_table, bad, fragment):
    with pytest.raises(ClientError) as ei:
        dynamodb.put_item(TableName=hash_table, Item={"pk": S("badnum"), "v": {"N": bad}})
    assert mt.error_code(ei.value) == "ValidationException"
    assert fragment.lower() in mt.error_message(ei.value).lower()
    assert "Item" not in dynamodb.get_item(TableName=hash_table, Key={"pk": S("badnum")},
                                           ConsistentRead=True)


@pytest.mark.parametrize("key_type,key", [
    ("S", {"S": "key \U0001F511"}),
    ("N", {"N": BIG}),
    ("B", {"B": b"\x00\xffkey"}),
])
def test_key_types_round_trip(dynamodb, tables, key_type, key):
    name = tables.create(("id", key_type))
    dynamodb.put_item(TableName=name, Item={"id": key, "v": S("x")})
    got = dynamodb.get_item(TableName=name, Key={"id": key}, ConsistentRead=True)
    assert got["Item"] == {"id": key, "v": S("x")}


def test_number_key_equality_is_numeric(dynamodb, tables):
    name = tables.create(("id", "N"))
    dynamodb.put_item(TableName=name, Item={"id": N("10"), "v": S("ten")})
    # 1E+1 and 10.0 are the same key as 10.
    for alias in ("1E+1", "10.0", "010"):
        got = dynamodb.get_item(TableName=name, Key={"id": N(alias)}, ConsistentRead=True)
        assert got["Item"] == {"id": N("10"), "v": S("ten")}, alias
    dynamodb.put_item(TableName=name, Item={"id": N("10.00"), "v": S("replaced")})
    assert len(dynamodb.scan(TableName=name, ConsistentRead=True)["Items"]) == 1


def test_get_missing_item_has_no_item(dynamodb, hash_table, range_table):
    resp = dynamodb.get_item(TableName=hash_table, Key={"pk": S("nope")})
    assert "Item" not in resp
    resp = dynamodb.get_item(TableName=range_table, Key={"pk": S("nope"), "sk": S("nope")},
                             ConsistentRead=True)
    assert "Item" not in resp


def test_put_replaces_whole_item(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("r"), "a": S("1"), "b": S("2")})
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("r"), "c": S("3")})
    got = dynamodb.get_item(TableName=hash_table, Key={"pk": S("r")}, ConsistentRead=True)
    assert got["Item"] == {"pk": S("r"), "c": S("3")}


def test_put_return_values_all_old(dynamodb, hash_table):
    resp = dynamodb.put_item(TableName=hash_table, Item={"pk": S("rv"), "a": S("first")},
                             ReturnValues="ALL_OLD")
    assert "Attributes" not in resp  # nothing was there
    resp = dynamodb.put_item(TableName=hash_table, Item={"pk": S("rv"), "b": N(2)},
                             ReturnValues="ALL_OLD")
    assert resp["Attributes"] == {"pk": S("rv"), "a": S("first")}
    resp = dynamodb.put_item(TableName=hash_table, Item={"pk": S("rv"), "c": N(3)},
                             ReturnValues="NONE")
    assert "Attributes" not in resp


@pytest.mark.parametrize("rv", ["UPDATED_OLD", "ALL_NEW", "UPDATED_NEW", "all_old", "BOGUS"])
def test_put_and_delete_reject_other_return_values(dynamodb, hash_table, rv):
    with pytest.raises(ClientError) as ei:
        dynamodb.put_item(TableName=hash_table, Item={"pk": S("x")}, ReturnValues=rv)
    assert mt.error_code(ei.value) == "ValidationException"
    with pytest.raises(ClientError) as ei:
        dynamodb.delete_item(TableName=hash_table, Key={"pk": S("x")}, ReturnValues=rv)
    assert mt.error_code(ei.value) == "ValidationException"


def test_delete_item(dynamodb, range_table):
    key = {"pk": S("d"), "sk": S("1")}
    dynamodb.put_item(TableName=range_table, Item={**key, "v": S("bye"), "ns": {"NS": ["1", "2"]}})
    resp = dynamodb.delete_item(TableName=range_table, Key=key, ReturnValues="ALL_OLD")
    assert canon(resp["Attributes"]) == canon({**key, "v": S("bye"), "ns": {"NS": ["1", "2"]}})
    assert "Item" not in dynamodb.get_item(TableName=range_table, Key=key, ConsistentRead=True)
    # Deleting a missing item is not an error and returns nothing.
    resp = dynamodb.delete_item(TableName=range_table, Key=key, ReturnValues="ALL_OLD")
    assert "Attributes" not in resp
    resp = dynamodb.delete_item(TableName=range_table, Key=key)
    assert "Attributes" not in resp


def test_range_key_distinguishes_items(dynamodb, range_table):
    for sk in ("a", "b", "c"):
        dynamodb.put_item(TableName=range_table, Item={"pk": S("p"), "sk": S(sk), "v": S(sk * 2)})
    dynamodb.delete_item(TableName=range_table, Key={"pk": S("p"), "sk": S("b")})
    for sk, present in (("a", True), ("b", False), ("c", True)):
        got = dynamodb.get_item(TableName=range_table, Key={"pk": S("p"), "sk": S(sk)},
                                ConsistentRead=True)
        assert ("Item" in got) == present
        if present:
            assert got["Item"]["v"] == S(sk * 2)


def test_projection_expression(dynamodb, hash_table):
    item = {
        "pk": S("proj"),
        "name": S("reserved word as attribute"),
        "a": {"M": {"b": {"L": [N(2), N(4), {"M": {"x": S("hi"), "y": S("yo")}}]}, "c": N(5)}},
        "other": S("not wanted"),
        "dotted.name": S("literal dot"),
    }
    dynamodb.put_item(TableName=hash_table, Item=item)
    key = {"pk": S("proj")}

    def get(expr, names=None):
        kw = dict(TableName=hash_table, Key=key, ConsistentRead=True, ProjectionExpression=expr)
        if names:
            kw["ExpressionAttributeNames"] = names
        return dynamodb.get_item(**kw)["Item"]

    assert get("#n", {"#n": "name"}) == {"name": item["name"]}
    assert get("pk, #n", {"#n": "name"}) == {"pk": item["pk"], "name": item["name"]}
    assert get("a.c") == {"a": {"M": {"c": N(5)}}}
    assert get("a.b[1]") == {"a": {"M": {"b": {"L": [N(4)]}}}}
    assert get("a.b[2].y") == {"a": {"M": {"b": {"L": [{"M": {"y": S("yo")}}]}}}}
    assert get("#a.#b[0], a.c", {"#a": "a", "#b": "b"}) == \
        {"a": {"M": {"b": {"L": [N(2)]}, "c": N(5)}}}
    # A name reference is one path element even when it contains a dot.
    assert get("#d", {"#d": "dotted.name"}) == {"dotted.name": S("literal dot")}
    # Missing paths are silently skipped; nothing matching gives an empty Item.
    assert get("nothing_here, a.zz, a.b[9]") == {}


def test_projection_expression_errors(dynamodb, hash_table):
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("pe"), "name": S("x")})
    key = {"pk": S("pe")}
    cases = [
        dict(ProjectionExpression="name"),  # reserved keyword used bare
        dict(ProjectionExpression="#n", ExpressionAttributeNames={"#other": "name"}),  # undefined #n
        dict(ProjectionExpression="#n", ExpressionAttributeNames={"#n": "name", "#unused": "x"}),
        dict(ProjectionExpression="a, a"),  # overlapping paths
        dict(ProjectionExpression="a,"),  # syntax error
    ]
    for kw in cases:
        with pytest.raises(ClientError) as ei:
            dynamodb.get_item(TableName=hash_table, Key=key, **kw)
        assert mt.error_code(ei.value) == "ValidationException", kw
    with pytest.raises(ClientError) as ei:
        dynamodb.get_item(TableName=hash_table, Key=key, ProjectionExpression="name")
    assert "Attribute name is a reserved keyword; reserved keyword: name" in mt.error_message(ei.value)
    with pytest.raises(ClientError) as ei:
        dynamodb.get_item(TableName=hash_table, Key=key, ProjectionExpression="#n",
                          ExpressionAttributeNames={"#n": "name", "#unused": "x"})
    assert mt.error_message(ei.value) == \
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"


@pytest.mark.parametrize("attr,fragment", [
    ({"SS": []}, "empty"),
    ({"NS": []}, "empty"),
    ({"BS": []}, "empty"),
    ({"SS": ["a", "a"]}, "duplicates"),
    ({"NS": ["1", "1"]}, "duplicates"),
    ({"BS": [b"x", b"x"]}, "duplicates"),
])
def test_invalid_sets(dynamodb, hash_table, attr, fragment):
    with pytest.raises(ClientError) as ei:
        dynamodb.put_item(TableName=hash_table, Item={"pk": S("set"), "s": attr})
    assert mt.error_code(ei.value) == "ValidationException"
    assert fragment in mt.error_message(ei.value)


@pytest.mark.parametrize("value", [{"S": "a", "N": "1"}, {}], ids=["two-types", "no-type"])
def test_attribute_value_must_have_exactly_one_type(raw, dynamodb, hash_table, value):
    # Raw request: newer botocore versions refuse to send these at all.
    r = raw("PutItem", {"TableName": hash_table, "Item": {"pk": {"S": "two"}, "v": value}})
    assert r.status == 400, r
    assert r.error_type == mt.NS_VALIDATE + "ValidationException", r
    assert "Item" not in dynamodb.get_item(TableName=hash_table, Key={"pk": S("two")},
                                           ConsistentRead=True)


def test_null_false_is_rejected(dynamodb, hash_table):
    with pytest.raises(ClientError) as ei:
        dynamodb.put_item(TableName=hash_table, Item={"pk": S("n"), "v": {"NULL": False}})
    assert mt.error_code(ei.value) == "ValidationException"


def test_item_just_under_400kb(dynamodb, hash_table):
    # Item size = sum over attributes of UTF-8 name length + value length.
    # pk(2) + "p"(1) + big(3) + payload: stay a little under 400 KiB.
    payload = "x" * (400 * 1024 - 100)
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("p"), "big": S(payload)})
    got = dynamodb.get_item(TableName=hash_table, Key={"pk": S("p")}, ConsistentRead=True)
    assert got["Item"]["big"]["S"] == payload


def test_large_binary_round_trip(dynamodb, hash_table):
    blob = bytes(range(256)) * 1000  # 256,000 bytes with every byte value
    dynamodb.put_item(TableName=hash_table, Item={"pk": S("blob"), "b": {"B": blob}})
    got = dynamodb.get_item(TableName=hash_table, Key={"pk": S("blob")}, ConsistentRead=True)
    assert got["Item"]["b"]["B"] == blob
