"""Control plane: CreateTable, DescribeTable, ListTables, DeleteTable."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt


def _check_description(desc: dict, name: str, key_schema: list, attr_defs: list):
    assert desc["TableName"] == name
    assert desc["TableStatus"] == "ACTIVE"
    # DynamoDB returns the HASH element first, then RANGE.
    assert desc["KeySchema"] == key_schema
    by_name = lambda l: sorted(l, key=lambda a: a["AttributeName"])
    assert by_name(desc["AttributeDefinitions"]) == by_name(attr_defs)
    assert desc["ItemCount"] == 0
    assert desc["TableSizeBytes"] == 0
    assert re.fullmatch(rf"arn:aws:dynamodb:{re.escape(mt.REGION)}:\d{{12}}:table/{re.escape(name)}",
                        desc["TableArn"]), desc["TableArn"]
    created = desc["CreationDateTime"]
    assert isinstance(created, dt.datetime)  # botocore parsed the epoch-seconds number
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - created).total_seconds()) < 600, (created, now)


@pytest.mark.parametrize("hash_type", ["S", "N", "B"])
def test_create_hash_only_pay_per_request(dynamodb, tables, hash_type):
    name = tables.name()
    ks = [{"AttributeName": "id", "KeyType": "HASH"}]
    ad = [{"AttributeName": "id", "AttributeType": hash_type}]
    resp = dynamodb.create_table(TableName=name, KeySchema=ks, AttributeDefinitions=ad,
                                 BillingMode="PAY_PER_REQUEST")
    td = resp["TableDescription"]
    assert td["TableName"] == name
    assert td["TableStatus"] in ("CREATING", "ACTIVE")
    assert td["KeySchema"] == ks
    dynamodb.get_waiter("table_exists").wait(TableName=name,
                                             WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    desc = dynamodb.describe_table(TableName=name)["Table"]
    _check_description(desc, name, ks, ad)
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    pt = desc["ProvisionedThroughput"]
    assert pt["ReadCapacityUnits"] == 0 and pt["WriteCapacityUnits"] == 0
    assert pt["NumberOfDecreasesToday"] == 0


@pytest.mark.parametrize("hash_type,range_type", [("S", "S"), ("S", "N"), ("N", "B"), ("B", "S")])
def test_create_hash_range_provisioned(dynamodb, tables, hash_type, range_type):
    name = tables.name()
    ks = [{"AttributeName": "h", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"}]
    # Definitions deliberately listed range-first: order in the request is irrelevant.
    ad = [{"AttributeName": "r", "AttributeType": range_type},
          {"AttributeName": "h", "AttributeType": hash_type}]
    resp = dynamodb.create_table(TableName=name, KeySchema=ks, AttributeDefinitions=ad,
                                 BillingMode="PROVISIONED",
                                 ProvisionedThroughput={"ReadCapacityUnits": 5,
                                                        "WriteCapacityUnits": 7})
    assert resp["TableDescription"]["TableStatus"] in ("CREATING", "ACTIVE")
    dynamodb.get_waiter("table_exists").wait(TableName=name,
                                             WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    desc = dynamodb.describe_table(TableName=name)["Table"]
    _check_description(desc, name, ks, ad)
    pt = desc["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (5, 7)
    assert pt["NumberOfDecreasesToday"] == 0
    # Real DynamoDB omits BillingModeSummary for tables created PROVISIONED;
    # if it is present it must say PROVISIONED.
    assert desc.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == "PROVISIONED"


def test_billing_mode_defaults_to_provisioned(dynamodb, tables):
    name = tables.name()
    dynamodb.create_table(TableName=name, **mt.key_schema(("pk", "S")),
                          ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    desc = mt.wait_active(dynamodb, name)
    assert desc.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == "PROVISIONED"
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 1


def test_create_with_tags(dynamodb, tables):
    name = tables.name()
    tags = [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "storage"}]
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", Tags=tags,
                          **mt.key_schema(("pk", "S")))
    desc = mt.wait_active(dynamodb, name)
    got = dynamodb.list_tags_of_resource(ResourceArn=desc["TableArn"])["Tags"]
    assert sorted(got, key=lambda t: t["Key"]) == tags


def test_table_is_usable_after_waiter(dynamodb, tables):
    name = tables.create(("pk", "S"), ("sk", "N"))
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    got = dynamodb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                            ConsistentRead=True)
    assert got["Item"] == {"pk": {"S": "a"}, "sk": {"N": "1"}}


def test_create_twice_is_resource_in_use(dynamodb, tables):
    name = tables.create(("pk", "S"))
    with pytest.raises(ClientError) as ei:
        dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                              **mt.key_schema(("pk", "S")))
    assert mt.error_code(ei.value) == "ResourceInUseException"
    assert mt.http_status(ei.value) == 400
    # The original table is untouched.
    assert dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"


def test_describe_missing_table(dynamodb):
    name = mt.unique_name("it-never-created")
    with pytest.raises(ClientError) as ei:
        dynamodb.describe_table(TableName=name)
    assert mt.error_code(ei.value) == "ResourceNotFoundException"
    assert mt.http_status(ei.value) == 400
    assert mt.error_message(ei.value) == f"Requested resource not found: Table: {name} not found"


def test_delete_table_then_describe(dynamodb, tables):
    name = tables.create(("pk", "S"))
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "x"}})
    resp = dynamodb.delete_table(TableName=name)
    td = resp["TableDescription"]
    assert td["TableName"] == name
    assert td["TableStatus"] == "DELETING"
    mt.wait_gone(dynamodb, name)
    with pytest.raises(ClientError) as ei:
        dynamodb.describe_table(TableName=name)
    assert mt.error_code(ei.value) == "ResourceNotFoundException"
    assert mt.error_message(ei.value) == f"Requested resource not found: Table: {name} not found"
    assert name not in _list_all_tables(dynamodb, 100)[0]
    # Deleting again, or using it, is ResourceNotFoundException too.
    with pytest.raises(ClientError) as ei:
        dynamodb.delete_table(TableName=name)
    assert mt.error_code(ei.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as ei:
        dynamodb.get_item(TableName=name, Key={"pk": {"S": "x"}})
    assert mt.error_code(ei.value) == "ResourceNotFoundException"


def test_recreate_after_delete_is_empty(dynamodb, tables):
    name = tables.create(("pk", "S"))
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "old"}})
    dynamodb.delete_table(TableName=name)
    mt.wait_gone(dynamodb, name)
    # Same name, different key type: a brand-new table.
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                          **mt.key_schema(("id", "N")))
    desc = mt.wait_active(dynamodb, name)
    assert desc["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert dynamodb.scan(TableName=name, ConsistentRead=True)["Items"] == []


def _list_all_tables(dynamodb, limit):
    names, pages, start = [], 0, None
    while True:
        kw = {"Limit": limit}
        if start:
            kw["ExclusiveStartTableName"] = start
        page = dynamodb.list_tables(**kw)
        pages += 1
        assert len(page["TableNames"]) <= limit
        names.extend(page["TableNames"])
        start = page.get("LastEvaluatedTableName")
        if start is not None:
            assert page["TableNames"], "LastEvaluatedTableName on an empty page"
            assert start == page["TableNames"][-1]
        else:
            return names, pages
        assert pages < 10000


def test_list_tables_pagination(dynamodb, tables):
    base = mt.unique_name("it-list")
    mine = [f"{base}-{i}" for i in range(5)]
    for n in mine:
        tables.names.append(n)
        dynamodb.create_table(TableName=n, BillingMode="PAY_PER_REQUEST",
                              **mt.key_schema(("pk", "S")))
    for n in mine:
        mt.wait_active(dynamodb, n)

    all_names, pages = _list_all_tables(dynamodb, limit=2)
    assert len(all_names) == len(set(all_names)), "a table was listed twice"
    assert all_names == sorted(all_names), "ListTables must return names in ascending order"
    assert [n for n in all_names if n.startswith(base)] == mine
    assert pages >= 3

    # Starting after mine[1] gives exactly the next two, and says where to go on.
    page = dynamodb.list_tables(ExclusiveStartTableName=mine[1], Limit=2)
    assert page["TableNames"] == mine[2:4]
    assert page["LastEvaluatedTableName"] == mine[3]
    page = dynamodb.list_tables(ExclusiveStartTableName=mine[3], Limit=1)
    assert page["TableNames"] == [mine[4]]

    # No Limit: everything in one response (DynamoDB's default limit is 100).
    if len(all_names) <= 100:
        unlimited = dynamodb.list_tables()
        assert unlimited["TableNames"] == all_names
        assert "LastEvaluatedTableName" not in unlimited

    # The boto3 paginator walks the same pages.
    via_paginator = []
    for page in dynamodb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}):
        via_paginator.extend(page["TableNames"])
    assert [n for n in via_paginator if n.startswith(base)] == mine


@pytest.mark.parametrize("bad", [
    # key attribute not defined in AttributeDefinitions
    dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}]),
    # an AttributeDefinition that no key uses
    dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                               {"AttributeName": "extra", "AttributeType": "S"}]),
    # no HASH key
    dict(KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}],
         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}]),
    # two HASH keys
    dict(KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                               {"AttributeName": "b", "AttributeType": "S"}]),
    # key type that cannot be a key
    dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "BOOL"}]),
], ids=["undefined-key-attr", "unused-definition", "no-hash", "two-hash", "bool-key"])
def test_create_table_invalid_schema(dynamodb, tables, bad):
    name = tables.name()
    with pytest.raises(ClientError) as ei:
        dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **bad)
    assert mt.error_code(ei.value) == "ValidationException"
    assert mt.http_status(ei.value) == 400


def test_create_table_billing_mode_mismatch(dynamodb, tables):
    ks = mt.key_schema(("pk", "S"))
    with pytest.raises(ClientError) as ei:  # PROVISIONED needs ProvisionedThroughput
        dynamodb.create_table(TableName=tables.name(), BillingMode="PROVISIONED", **ks)
    assert mt.error_code(ei.value) == "ValidationException"
    with pytest.raises(ClientError) as ei:  # PAY_PER_REQUEST forbids it
        dynamodb.create_table(TableName=tables.name(), BillingMode="PAY_PER_REQUEST",
                              ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                              **ks)
    assert mt.error_code(ei.value) == "ValidationException"


@pytest.mark.parametrize("bad_name", ["has space", "bad/char", "x" * 256, "é-accent"])
def test_create_table_invalid_name(dynamodb, bad_name):
    with pytest.raises(ClientError) as ei:
        dynamodb.create_table(TableName=bad_name, BillingMode="PAY_PER_REQUEST",
                              **mt.key_schema(("pk", "S")))
    assert mt.error_code(ei.value) == "ValidationException"
