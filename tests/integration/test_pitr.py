"""Point-in-time recovery: UpdateContinuousBackups / DescribeContinuousBackups and
RestoreTableToPointInTime (RestoreDateTime or UseLatestRestorableTime, by SourceTableName or
SourceTableArn, with overrides), and their errors with DynamoDB's exact `__type`.

Written from DynamoDB's API reference (API_UpdateContinuousBackups,
API_DescribeContinuousBackups, API_PointInTimeRecoverySpecification,
API_PointInTimeRecoveryDescription, API_RestoreTableToPointInTime). The server and the tests run
on the same machine, so "now" here is the server's clock. boto3 sends timestamps in whole
seconds (and DynamoDB restores to the second), so the moment T restored to is surrounded by
1.2 s without writes.

Against real DynamoDB, LatestRestorableDateTime lags about 5 minutes behind, so the restore
tests wait for it (up to LATEST_WAIT).
"""
from __future__ import annotations

import datetime as dt
import os
import time

import pytest

import meridian_testlib as mt
from meridian_testlib import S, N, canon
from test_backups import raw_error, snapshot, ts, wait_table_ready

LATEST_WAIT = float(os.environ.get("MERIDIAN_PITR_LATEST_WAIT", "400" if mt.IS_EXTERNAL else "15"))
CATS = ("a", "b", "c")

GSI_BY_CAT = {"IndexName": "by_cat",
              "KeySchema": [{"AttributeName": "cat", "KeyType": "HASH"},
                            {"AttributeName": "rank", "KeyType": "RANGE"}],
              "Projection": {"ProjectionType": "ALL"}}
TABLE = dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                   {"AttributeName": "cat", "AttributeType": "S"},
                                   {"AttributeName": "rank", "AttributeType": "N"}],
             GlobalSecondaryIndexes=[GSI_BY_CAT])

TYPES_ITEM = {
    "pk": S("types"), "cat": S("a"), "rank": N("0.5"),
    "s": S("héllo \"wörld\"\n\t"), "empty": S(""),
    "n38": N("1.2345678901234567890123456789012345678E+30"),
    "nneg": N("-9.9999999999999999999999999999999999999E+125"),
    "ntiny": N("1E-130"), "nint": N("12345678901234567890123456789012345678"),
    "b": {"B": b"\x00\x01\xfe\xff"}, "t": {"BOOL": True}, "f": {"BOOL": False}, "nul": {"NULL": True},
    "ss": {"SS": ["x", "y", "ζ"]}, "ns": {"NS": ["1", "-0.25", "12345678901234567890.123456789012345678"]},
    "bs": {"BS": [b"a", b"\x00\xff"]},
    "l": {"L": [S("1"), N("2"), {"M": {"k": {"L": [{"BOOL": False}, {"NULL": True}]}}}, {"L": []}]},
    "m": {"M": {"a": {"M": {"b": {"M": {"c": S("deep"), "n": N("-1E-100")}}}}, "e": {"M": {}},
                "bin": {"B": b"\x80"}, "set": {"NS": ["3", "2"]}}},
}


def rdt(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)


def enable(client, table: str, enabled: bool = True) -> dict:
    return client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled}
    )["ContinuousBackupsDescription"]


def describe(client, table: str) -> dict:
    return client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]


def wait_latest(client, table: str, at_least: float, timeout: float = LATEST_WAIT) -> dict:
    """DescribeContinuousBackups until LatestRestorableDateTime >= at_least."""
    deadline = time.monotonic() + timeout
    while True:
        pd = describe(client, table)["PointInTimeRecoveryDescription"]
        assert pd["PointInTimeRecoveryStatus"] == "ENABLED", pd
        if ts(pd["LatestRestorableDateTime"]) >= at_least:
            return pd
        if time.monotonic() > deadline:
            raise AssertionError(f"LatestRestorableDateTime {pd['LatestRestorableDateTime']} still before "
                                 f"{rdt(at_least)} after {timeout}s")
        time.sleep(0.1)


def view(client, table: str) -> dict:
    """What the GSI answers for each category (checked to be in rank order)."""
    out = {}
    for cat in CATS:
        items = mt.full_query(client, TableName=table, IndexName="by_cat", KeyConditionExpression="cat = :c",
                              ExpressionAttributeValues={":c": S(cat)})
        ranks = [float(it["rank"]["N"]) for it in items]
        assert ranks == sorted(ranks), (cat, ranks)
        out[cat] = sorted((canon(it) for it in items), key=repr)
    return out


class History:
    pass


@pytest.fixture(scope="module")
def history(dynamodb):
    """A PITR table: batch 1, a quiet moment T, batch 2 (new items, overwrites, updates,
    deletes of batch-1 items)."""
    h = History()
    h.table = mt.unique_name("it-pitr")
    h.extra: list[str] = []
    dynamodb.create_table(TableName=h.table, BillingMode="PAY_PER_REQUEST", **TABLE)
    try:
        h.desc = wait_table_ready(dynamodb, h.table)
        h.t_enable0 = time.time()
        h.enabled = enable(dynamodb, h.table)
        h.t_enable1 = time.time()

        # batch 1
        dynamodb.put_item(TableName=h.table, Item=TYPES_ITEM)
        for k in range(20):
            dynamodb.put_item(TableName=h.table, Item={"pk": S(f"k{k:02d}"), "cat": S(CATS[k % 3]),
                                                       "rank": N(k), "v": S(f"v1-{k}")})
        for k in range(0, 20, 5):
            dynamodb.update_item(TableName=h.table, Key={"pk": S(f"k{k:02d}")}, UpdateExpression="ADD hits :one",
                                 ExpressionAttributeValues={":one": N(1)})
        h.snap1, h.view1 = snapshot(dynamodb, h.table), view(dynamodb, h.table)
        time.sleep(1.2)
        h.T = time.time()
        time.sleep(1.2)

        # batch 2
        for k in range(20, 25):
            dynamodb.put_item(TableName=h.table, Item={"pk": S(f"k{k:02d}"), "cat": S("a"), "rank": N(k),
                                                       "v": S(f"v2-{k}")})
        for k in range(0, 4):  # overwrites that move the items to another category
            dynamodb.put_item(TableName=h.table, Item={"pk": S(f"k{k:02d}"), "cat": S("c"), "rank": N(100 + k),
                                                       "v": S(f"v2-{k}")})
        for k in range(4, 7):
            dynamodb.update_item(TableName=h.table, Key={"pk": S(f"k{k:02d}")},
                                 UpdateExpression="SET v = :v ADD #r :d", ExpressionAttributeNames={"#r": "rank"},
                                 ExpressionAttributeValues={":v": S("updated"), ":d": N("0.5")})
        for k in range(7, 10):
            dynamodb.delete_item(TableName=h.table, Key={"pk": S(f"k{k:02d}")})
        dynamodb.delete_item(TableName=h.table, Key={"pk": S("types")})
        h.t_done = time.time()
        h.snap2, h.view2 = snapshot(dynamodb, h.table), view(dynamodb, h.table)
        yield h
    finally:
        for t in [h.table] + h.extra:
            mt.delete_table_quietly(dynamodb, t)


def restore_pitr(client, h: History, target: str, **kw) -> dict:
    h.extra.append(target)
    return client.restore_table_to_point_in_time(TargetTableName=target, **kw)["TableDescription"]


# -- tests -----------------------------------------------------------------------------------

def test_enable_describe_and_disable(dynamodb, tables, raw):
    name = tables.create(("pk", "S"))
    d = describe(dynamodb, name)
    assert d["ContinuousBackupsStatus"] == "ENABLED"  # on-demand backups are always available
    assert d["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    assert "EarliestRestorableDateTime" not in d["PointInTimeRecoveryDescription"]

    t0 = time.time()
    out = enable(dynamodb, name)
    t1 = time.time()
    assert out["ContinuousBackupsStatus"] == "ENABLED"
    assert out["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    pd = describe(dynamodb, name)["PointInTimeRecoveryDescription"]
    assert pd["PointInTimeRecoveryStatus"] == "ENABLED"
    earliest, latest = ts(pd["EarliestRestorableDateTime"]), ts(pd["LatestRestorableDateTime"])
    assert t0 - 1 <= earliest <= t1 + 1
    assert earliest <= latest <= time.time() + 1

    # RecoveryPeriodInDays (newer than this boto3: raw requests): 35 by default, 1..35.
    r = raw("DescribeContinuousBackups", {"TableName": name})
    assert r.status == 200, r
    assert r.json["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"].get("RecoveryPeriodInDays", 35) == 35
    r = raw("UpdateContinuousBackups", {"TableName": name, "PointInTimeRecoverySpecification":
                                        {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7}})
    assert r.status == 200, r
    r = raw("DescribeContinuousBackups", {"TableName": name})
    assert r.json["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 7
    for bad in (0, 36):
        raw_error(raw, "UpdateContinuousBackups", {"TableName": name, "PointInTimeRecoverySpecification": {
            "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": bad}}, "ValidationException")
    raw_error(raw, "UpdateContinuousBackups", {"TableName": name}, "ValidationException")
    raw_error(raw, "UpdateContinuousBackups", {"TableName": name, "PointInTimeRecoverySpecification": {}},
              "ValidationException")
    # Still enabled, with the same window start, after the rejected updates.
    pd = describe(dynamodb, name)["PointInTimeRecoveryDescription"]
    assert pd["PointInTimeRecoveryStatus"] == "ENABLED"

    out = enable(dynamodb, name, False)
    assert out["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    pd = describe(dynamodb, name)["PointInTimeRecoveryDescription"]
    assert pd == {"PointInTimeRecoveryStatus": "DISABLED"}

    missing = mt.unique_name("it-nosuch")
    raw_error(raw, "DescribeContinuousBackups", {"TableName": missing}, "TableNotFoundException")
    raw_error(raw, "UpdateContinuousBackups", {"TableName": missing, "PointInTimeRecoverySpecification":
                                               {"PointInTimeRecoveryEnabled": True}}, "TableNotFoundException")
    mt.expect_error(lambda: describe(dynamodb, missing), "TableNotFoundException")


def test_window_contains_T(history, dynamodb):
    h = history
    assert h.enabled["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    pd = wait_latest(dynamodb, h.table, h.t_done)
    earliest, latest = ts(pd["EarliestRestorableDateTime"]), ts(pd["LatestRestorableDateTime"])
    assert h.t_enable0 - 1 <= earliest <= h.t_enable1 + 1
    assert earliest <= h.T <= latest
    assert latest <= time.time() + 1


def test_restore_to_T_gives_exactly_batch_one(history, dynamodb):
    h = history
    wait_latest(dynamodb, h.table, h.T)
    target = mt.unique_name("it-pitr-T")
    t0 = time.time()
    desc = restore_pitr(dynamodb, h, target, SourceTableName=h.table, RestoreDateTime=rdt(h.T))
    assert desc["TableName"] == target
    assert desc["TableStatus"] == "CREATING"
    rs = desc["RestoreSummary"]
    assert rs["SourceTableArn"] == h.desc["TableArn"]
    assert "SourceBackupArn" not in rs
    assert rs["RestoreInProgress"] is True
    assert int(h.T) - 1 <= ts(rs["RestoreDateTime"]) <= h.T + 1, (rs["RestoreDateTime"], rdt(h.T))

    t = wait_table_ready(dynamodb, target)
    assert t["RestoreSummary"]["RestoreInProgress"] is False
    assert [g["IndexName"] for g in t["GlobalSecondaryIndexes"]] == ["by_cat"]
    assert t["GlobalSecondaryIndexes"][0]["KeySchema"] == GSI_BY_CAT["KeySchema"]
    assert snapshot(dynamodb, target) == h.snap1
    assert view(dynamodb, target) == h.view1
    # Batch 2's deletes are undone, its overwrites and new items absent.
    got = dynamodb.get_item(TableName=target, Key={"pk": S("types")}, ConsistentRead=True)["Item"]
    assert canon(got) == [it for it in h.snap1 if it["pk"] == S("types")][0]
    assert sorted(got) == sorted(TYPES_ITEM)
    assert dynamodb.get_item(TableName=target, Key={"pk": S("k08")}, ConsistentRead=True)["Item"]["v"] == S("v1-8")
    assert dynamodb.get_item(TableName=target, Key={"pk": S("k01")}, ConsistentRead=True)["Item"]["cat"] == S("b")
    assert "Item" not in dynamodb.get_item(TableName=target, Key={"pk": S("k22")}, ConsistentRead=True)
    # The restored table does not inherit PITR (DynamoDB: set it up on the new table).
    assert describe(dynamodb, target)["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    # The source is untouched.
    assert snapshot(dynamodb, h.table) == h.snap2
    # A restore makes a new table: created at the restore, not when the source was.
    assert ts(t["CreationDateTime"]) >= t0 - 2, (t["CreationDateTime"], h.desc["CreationDateTime"])
    assert ts(desc["CreationDateTime"]) >= t0 - 2, (desc["CreationDateTime"], h.desc["CreationDateTime"])


def test_restore_latest_restorable_time_gives_current_content(history, dynamodb):
    h = history
    wait_latest(dynamodb, h.table, h.t_done)
    target = mt.unique_name("it-pitr-latest")
    desc = restore_pitr(dynamodb, h, target, SourceTableArn=h.desc["TableArn"], UseLatestRestorableTime=True)
    assert desc["TableStatus"] == "CREATING"
    assert desc["RestoreSummary"]["SourceTableArn"] == h.desc["TableArn"]
    assert ts(desc["RestoreSummary"]["RestoreDateTime"]) >= h.t_done - 1
    wait_table_ready(dynamodb, target)
    assert snapshot(dynamodb, target) == h.snap2
    assert view(dynamodb, target) == h.view2
    assert "Item" not in dynamodb.get_item(TableName=target, Key={"pk": S("types")}, ConsistentRead=True)


def test_restore_to_T_with_overrides(history, dynamodb):
    h = history
    wait_latest(dynamodb, h.table, h.T)
    target = mt.unique_name("it-pitr-ovr")
    restore_pitr(dynamodb, h, target, SourceTableName=h.table, RestoreDateTime=rdt(h.T),
                 BillingModeOverride="PROVISIONED",
                 ProvisionedThroughputOverride={"ReadCapacityUnits": 4, "WriteCapacityUnits": 2},
                 GlobalSecondaryIndexOverride=[dict(GSI_BY_CAT, ProvisionedThroughput={"ReadCapacityUnits": 1,
                                                                                        "WriteCapacityUnits": 1})])
    t = wait_table_ready(dynamodb, target)
    assert t.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == "PROVISIONED"
    assert (t["ProvisionedThroughput"]["ReadCapacityUnits"], t["ProvisionedThroughput"]["WriteCapacityUnits"]) == (4, 2)
    g = t["GlobalSecondaryIndexes"][0]
    assert (g["ProvisionedThroughput"]["ReadCapacityUnits"], g["ProvisionedThroughput"]["WriteCapacityUnits"]) == (1, 1)
    assert snapshot(dynamodb, target) == h.snap1
    assert view(dynamodb, target) == h.view1


def test_restore_errors(history, dynamodb, raw, tables):
    h = history
    pd = wait_latest(dynamodb, h.table, h.T)
    earliest = ts(pd["EarliestRestorableDateTime"])
    target = mt.unique_name("it-pitr-err")
    h.extra.append(target)

    # PITR not enabled on the source.
    plain = tables.create(("pk", "S"))
    dynamodb.put_item(TableName=plain, Item={"pk": S("x")})
    raw_error(raw, "RestoreTableToPointInTime", {"SourceTableName": plain, "TargetTableName": target,
                                                 "UseLatestRestorableTime": True},
              "PointInTimeRecoveryUnavailableException")
    mt.expect_error(lambda: dynamodb.restore_table_to_point_in_time(
        SourceTableName=plain, TargetTableName=target, RestoreDateTime=rdt(time.time() - 5)),
        "PointInTimeRecoveryUnavailableException")

    # Outside [EarliestRestorableDateTime, LatestRestorableDateTime].
    raw_error(raw, "RestoreTableToPointInTime", {"SourceTableName": h.table, "TargetTableName": target,
                                                 "RestoreDateTime": int(earliest) - 60},
              "InvalidRestoreTimeException")
    raw_error(raw, "RestoreTableToPointInTime", {"SourceTableName": h.table, "TargetTableName": target,
                                                 "RestoreDateTime": int(time.time()) + 3600},
              "InvalidRestoreTimeException")
    mt.expect_error(lambda: dynamodb.restore_table_to_point_in_time(
        SourceTableName=h.table, TargetTableName=target, RestoreDateTime=rdt(time.time() + 3600)),
        "InvalidRestoreTimeException")

    # Missing source, by name and by ARN.
    missing = mt.unique_name("it-nosuch")
    raw_error(raw, "RestoreTableToPointInTime", {"SourceTableName": missing, "TargetTableName": target,
                                                 "UseLatestRestorableTime": True}, "TableNotFoundException")
    missing_arn = h.desc["TableArn"].rsplit("/", 1)[0] + "/" + missing
    raw_error(raw, "RestoreTableToPointInTime", {"SourceTableArn": missing_arn, "TargetTableName": target,
                                                 "UseLatestRestorableTime": True}, "TableNotFoundException")

    # Existing target.
    raw_error(raw, "RestoreTableToPointInTime", {"SourceTableName": h.table, "TargetTableName": plain,
                                                 "UseLatestRestorableTime": True}, "TableAlreadyExistsException")
    mt.expect_error(lambda: dynamodb.restore_table_to_point_in_time(
        SourceTableName=h.table, TargetTableName=h.table, UseLatestRestorableTime=True),
        "TableAlreadyExistsException")

    # Malformed requests.
    raw_error(raw, "RestoreTableToPointInTime", {"SourceTableName": h.table, "TargetTableName": "bad name",
                                                 "UseLatestRestorableTime": True}, "ValidationException")
    raw_error(raw, "RestoreTableToPointInTime", {"SourceTableName": h.table, "UseLatestRestorableTime": True},
              "ValidationException")

    # None of it created the target, and the source table still answers as before.
    mt.expect_error(lambda: dynamodb.describe_table(TableName=target), "ResourceNotFoundException")
    assert snapshot(dynamodb, h.table) == h.snap2


def test_disabling_pitr_discards_the_history(dynamodb, tables):
    name = tables.create(("pk", "S"))
    enable(dynamodb, name)
    dynamodb.put_item(TableName=name, Item={"pk": S("old"), "v": N(1)})
    time.sleep(1.1)
    t_mid = time.time()
    time.sleep(1.1)
    enable(dynamodb, name, False)
    mt.expect_error(lambda: dynamodb.restore_table_to_point_in_time(
        SourceTableName=name, TargetTableName=tables.name(), UseLatestRestorableTime=True),
        "PointInTimeRecoveryUnavailableException")
    t_re = time.time()
    enable(dynamodb, name)
    pd = describe(dynamodb, name)["PointInTimeRecoveryDescription"]
    assert ts(pd["EarliestRestorableDateTime"]) >= t_re - 1 > t_mid
    target = tables.name()
    mt.expect_error(lambda: dynamodb.restore_table_to_point_in_time(
        SourceTableName=name, TargetTableName=target, RestoreDateTime=rdt(t_mid)), "InvalidRestoreTimeException")
    dynamodb.put_item(TableName=name, Item={"pk": S("new"), "v": N(2)})
    t_new = time.time()
    wait_latest(dynamodb, name, t_new)
    dynamodb.restore_table_to_point_in_time(SourceTableName=name, TargetTableName=target,
                                            UseLatestRestorableTime=True)
    wait_table_ready(dynamodb, target)
    assert snapshot(dynamodb, target) == [{"pk": S("new"), "v": N(2)}, {"pk": S("old"), "v": N(1)}]
