"""On-demand backups: CreateBackup, DescribeBackup, ListBackups, DeleteBackup and
RestoreTableFromBackup (with BillingMode / GSI overrides), their errors with DynamoDB's exact
`__type`, the AWS CLI, and backups surviving a restart of the daemon.

Written from DynamoDB's API reference (API_CreateBackup, API_DescribeBackup, API_ListBackups,
API_DeleteBackup, API_RestoreTableFromBackup, API_BackupDetails, API_SourceTableDetails,
API_SourceTableFeatureDetails, API_RestoreSummary), so the file also runs against real DynamoDB
(the restart test is then skipped). A restored table must hold exactly what the source held
when CreateBackup was answered: the writes made right after it (puts, updates, deletes) are
not in it, and its GSIs and LSIs answer as the source's did at that moment.
"""
from __future__ import annotations

import os
import re
import time

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from meridian_testlib import S, N, canon

TIMEOUT = 60.0  # backups and restores of these small tables take well under a second locally
POLL = 0.1

CATS = ("red", "green", "blue")
OWNERS = tuple(f"u{k}" for k in range(5))
PKS = tuple(f"p{k}" for k in range(4)) + ("all",)


# -- helpers shared with the other backup test files ---------------------------------------

def ts(value) -> float:
    """A timestamp from boto3 (datetime) or from a raw reply (epoch seconds) as epoch seconds."""
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def backup_arn_pattern(table_arn: str) -> re.Pattern:
    # DynamoDB: <table arn>/backup/<creation time in ms, zero-padded to 14 digits>-<8 hex>
    return re.compile(re.escape(table_arn) + r"/backup/(\d{13,14})-([0-9a-f]{8})")


def wait_backup(client, arn: str, timeout: float = TIMEOUT) -> dict:
    """DescribeBackup until the backup is AVAILABLE; returns its BackupDescription."""
    deadline = time.monotonic() + timeout
    while True:
        d = client.describe_backup(BackupArn=arn)["BackupDescription"]
        status = d["BackupDetails"]["BackupStatus"]
        if status == "AVAILABLE":
            return d
        assert status == "CREATING", d["BackupDetails"]
        if time.monotonic() > deadline:
            raise AssertionError(f"backup {arn} still {status} after {timeout}s")
        time.sleep(POLL)


def wait_table_ready(client, name: str, timeout: float = TIMEOUT) -> dict:
    """DescribeTable until the table and each of its GSIs are ACTIVE (a restored table is
    CREATING until it is filled)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            t = client.describe_table(TableName=name)["Table"]
            last = (t["TableStatus"], [g.get("IndexStatus") for g in t.get("GlobalSecondaryIndexes", [])])
            if t["TableStatus"] == "ACTIVE" and all(s == "ACTIVE" for s in last[1]):
                return t
            assert t["TableStatus"] in ("CREATING", "UPDATING", "ACTIVE"), t["TableStatus"]
        except ClientError as e:
            if mt.error_code(e) != "ResourceNotFoundException":
                raise
            last = "ResourceNotFoundException"
        if time.monotonic() > deadline:
            raise AssertionError(f"table {name} not ACTIVE after {timeout}s (last: {last})")
        time.sleep(POLL)


def snapshot(client, table: str) -> list[dict]:
    """Every item of the table, canonical and sorted by key."""
    items = mt.full_scan(client, TableName=table, ConsistentRead=True)
    return sorted((canon(it) for it in items), key=lambda it: (repr(it.get("pk")), repr(it.get("sk"))))


def delete_backup_quietly(client, arn: str | None) -> None:
    if not arn:
        return
    try:
        client.delete_backup(BackupArn=arn)
    except ClientError:
        pass


def raw_error(raw, op: str, body: dict, code: str):
    """A hand-made request that must fail with HTTP 400 and exactly DynamoDB's __type."""
    r = raw(op, body)
    ns = mt.NS_VALIDATE if code == "ValidationException" else mt.NS_DYNAMODB
    assert r.status == 400, (op, body, r)
    assert r.error_type == ns + code, (op, body, r)
    assert r.error_message, (op, body, r)
    return r


def key_names(key_schema: list[dict]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in key_schema]


def attr_defs(desc: dict) -> dict[str, str]:
    return {a["AttributeName"]: a["AttributeType"] for a in desc["AttributeDefinitions"]}


def ks(*pairs):
    return [{"AttributeName": n, "KeyType": t} for n, t in pairs]


# -- the indexed source table ----------------------------------------------------------------

GSI_BY_CAT = {"IndexName": "by_cat", "KeySchema": ks(("cat", "HASH"), ("rank", "RANGE")),
              "Projection": {"ProjectionType": "ALL"}}
GSI_BY_OWNER = {"IndexName": "by_owner", "KeySchema": ks(("owner", "HASH")),
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}}
LSI_BY_LR = {"IndexName": "by_lr", "KeySchema": ks(("pk", "HASH"), ("lr", "RANGE")),
             "Projection": {"ProjectionType": "KEYS_ONLY"}}
INDEXED_TABLE = dict(
    KeySchema=ks(("pk", "HASH"), ("sk", "RANGE")),
    AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in
                          (("pk", "S"), ("sk", "N"), ("cat", "S"), ("rank", "N"), ("owner", "S"), ("lr", "N"))],
    GlobalSecondaryIndexes=[GSI_BY_CAT, GSI_BY_OWNER],
    LocalSecondaryIndexes=[LSI_BY_LR])

ALL_TYPES_ITEM = {
    "pk": S("all"), "sk": N(0), "cat": S("red"), "rank": N("1.5"), "owner": S("u0"), "lr": N(-1),
    "s": S("snow ☃ \"quoted\" \\ back"), "empty": S(""),
    "n38": N("1.2345678901234567890123456789012345678E+30"),
    "nbig": N("-9.9999999999999999999999999999999999999E+125"), "ntiny": N("1E-130"),
    "b": {"B": bytes(range(256))}, "t": {"BOOL": True}, "f": {"BOOL": False}, "nul": {"NULL": True},
    "ss": {"SS": ["a", "b", "ü"]}, "ns": {"NS": ["1", "-2.5", "12345678901234567890.123456789012345678"]},
    "bs": {"BS": [b"\x00", b"\xff\x01"]},
    "l": {"L": [S("x"), N("1.5"), {"M": {"k": {"BOOL": False}}}, {"L": []}, {"NULL": True}]},
    "m": {"M": {"nested": {"M": {"deep": {"L": [N("-0.000001"), {"SS": ["z"]}]}}}, "e": {"M": {}}}},
}


def seed_item(p: int, k: int) -> dict:
    item = {"pk": S(f"p{p}"), "sk": N(k), "cat": S(CATS[(p + k) % 3]), "rank": N((k * 7 + p) % 11),
            "lr": N(100 - k), "note": S(f"note {p}/{k}"), "pad": S("x" * (k * 13))}
    if k % 4 != 3:  # a sparse GSI: not every item has an owner
        item["owner"] = S(OWNERS[(p * 3 + k) % 5])
    return item


def seed(client, table: str) -> None:
    items = [ALL_TYPES_ITEM] + [seed_item(p, k) for p in range(4) for k in range(15)]
    for i in range(0, len(items), 25):
        reqs = [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]
        out = client.batch_write_item(RequestItems={table: reqs})
        assert not out.get("UnprocessedItems"), out


def mutate(client, table: str) -> None:
    """Puts, overwrites, updates (moving GSI/LSI keys) and deletes, after the backup."""
    for k in range(5):
        client.put_item(TableName=table, Item={"pk": S("p9"), "sk": N(k), "cat": S("red"),
                                               "rank": N(k), "owner": S("u1"), "lr": N(k)})
    client.put_item(TableName=table, Item={"pk": S("all"), "sk": N(0), "cat": S("blue"), "v": S("new")})
    for k in range(0, 15, 3):
        client.update_item(TableName=table, Key={"pk": S("p1"), "sk": N(k)},
                           UpdateExpression="SET note = :n, cat = :c, lr = :l ADD #r :r REMOVE #o",
                           ExpressionAttributeNames={"#o": "owner", "#r": "rank"},
                           ExpressionAttributeValues={":n": S("changed"), ":c": S("green"),
                                                      ":l": N(500 + k), ":r": N(100)})
    for k in range(0, 15, 2):
        client.delete_item(TableName=table, Key={"pk": S("p2"), "sk": N(k)})
    client.delete_item(TableName=table, Key={"pk": S("p0"), "sk": N(1)})


def index_view(client, table: str) -> dict:
    """What each index answers: by_cat per category (in rank order), by_owner per owner,
    by_lr per partition (in lr order)."""
    out = {}
    for cat in CATS:
        items = mt.full_query(client, TableName=table, IndexName="by_cat",
                              KeyConditionExpression="cat = :c", ExpressionAttributeValues={":c": S(cat)})
        ranks = [float(it["rank"]["N"]) for it in items]
        assert ranks == sorted(ranks), f"by_cat/{cat} not in rank order: {ranks}"
        out[f"by_cat/{cat}"] = sorted((canon(it) for it in items), key=repr)
    for owner in OWNERS:
        items = mt.full_query(client, TableName=table, IndexName="by_owner",
                              KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
                              ExpressionAttributeValues={":o": S(owner)})
        out[f"by_owner/{owner}"] = sorted((canon(it) for it in items), key=repr)
    for pk in PKS + ("p9",):
        items = mt.full_query(client, TableName=table, IndexName="by_lr", ConsistentRead=True,
                              KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S(pk)})
        out[f"by_lr/{pk}"] = [(it["sk"]["N"], it["lr"]["N"], sorted(it)) for it in items]
    return out


class BackedUp:
    """The module's source table, its backup, and what the table held at backup time."""
    table: str
    table_desc: dict
    arn: str
    name: str
    created: dict
    t_before: float
    t_after: float
    snap: list
    view: dict
    count: int


@pytest.fixture(scope="module")
def backed_up(dynamodb):
    b = BackedUp()
    b.table = mt.unique_name("it-backup-src")
    extra_tables: list[str] = []
    b.extra_tables = extra_tables
    dynamodb.create_table(TableName=b.table, BillingMode="PAY_PER_REQUEST", **INDEXED_TABLE)
    b.table_desc = wait_table_ready(dynamodb, b.table)
    arn = None
    try:
        seed(dynamodb, b.table)
        b.snap = snapshot(dynamodb, b.table)
        b.count = len(b.snap)
        b.view = index_view(dynamodb, b.table)
        b.name = "nightly_2024-01.v1"
        b.t_before = time.time()
        b.created = dynamodb.create_backup(TableName=b.table, BackupName=b.name)["BackupDetails"]
        b.t_after = time.time()
        arn = b.arn = b.created["BackupArn"]
        mutate(dynamodb, b.table)  # right away, while the backup may still be CREATING
        wait_backup(dynamodb, b.arn)
        yield b
    finally:
        delete_backup_quietly(dynamodb, arn)
        for t in [b.table] + extra_tables:
            mt.delete_table_quietly(dynamodb, t)


def restore(client, backup_arn: str, target: str, **overrides) -> dict:
    return client.restore_table_from_backup(TargetTableName=target, BackupArn=backup_arn,
                                            **overrides)["TableDescription"]


# -- tests -----------------------------------------------------------------------------------

def test_create_backup_answers_backup_details(backed_up):
    b = backed_up
    d = b.created
    m = backup_arn_pattern(b.table_desc["TableArn"]).fullmatch(d["BackupArn"])
    assert m, d["BackupArn"]
    assert b.t_before - 2 <= int(m.group(1)) / 1000 <= b.t_after + 2, d["BackupArn"]
    assert d["BackupName"] == b.name
    assert d["BackupStatus"] in ("CREATING", "AVAILABLE")
    assert d["BackupType"] == "USER"
    # BackupSizeBytes is optional (DynamoDB updates it about every six hours).
    assert isinstance(d.get("BackupSizeBytes", 0), int) and d.get("BackupSizeBytes", 0) >= 0
    assert b.t_before - 1 <= ts(d["BackupCreationDateTime"]) <= b.t_after + 1
    assert "BackupExpiryDateTime" not in d  # only SYSTEM backups expire


def test_restore_equals_the_snapshot_including_gsi_and_lsi(backed_up, dynamodb):
    b = backed_up
    # The source really changed after the backup.
    assert snapshot(dynamodb, b.table) != b.snap
    assert index_view(dynamodb, b.table) != b.view

    target = mt.unique_name("it-restored")
    b.extra_tables.append(target)
    t0 = time.time()
    desc = restore(dynamodb, b.arn, target)
    assert desc["TableName"] == target
    assert desc["TableStatus"] == "CREATING"
    assert desc["TableArn"].endswith(":table/" + target)
    assert key_names(desc["KeySchema"]) == [("pk", "HASH"), ("sk", "RANGE")]
    rs = desc["RestoreSummary"]
    assert rs["SourceBackupArn"] == b.arn
    assert rs["SourceTableArn"] == b.table_desc["TableArn"]
    assert rs["RestoreInProgress"] is True
    assert t0 - 2 <= ts(rs["RestoreDateTime"]) <= time.time() + 2

    t = wait_table_ready(dynamodb, target)
    assert t["TableId"] != b.table_desc["TableId"]
    assert t["RestoreSummary"]["SourceBackupArn"] == b.arn
    assert t["RestoreSummary"]["RestoreInProgress"] is False
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert attr_defs(t) == attr_defs(b.table_desc)
    gsis = {g["IndexName"]: g for g in t["GlobalSecondaryIndexes"]}
    assert sorted(gsis) == ["by_cat", "by_owner"]
    for want in (GSI_BY_CAT, GSI_BY_OWNER):
        assert gsis[want["IndexName"]]["KeySchema"] == want["KeySchema"]
        assert gsis[want["IndexName"]]["Projection"] == want["Projection"]
    lsis = {x["IndexName"]: x for x in t["LocalSecondaryIndexes"]}
    assert list(lsis) == ["by_lr"]
    assert lsis["by_lr"]["KeySchema"] == LSI_BY_LR["KeySchema"]
    assert lsis["by_lr"]["Projection"] == LSI_BY_LR["Projection"]

    assert snapshot(dynamodb, target) == b.snap
    assert index_view(dynamodb, target) == b.view
    # What the later writes deleted or changed is there as it was.
    got = dynamodb.get_item(TableName=target, Key={"pk": S("p2"), "sk": N(4)}, ConsistentRead=True)["Item"]
    assert canon(got) == canon(seed_item(2, 4))
    got = dynamodb.get_item(TableName=target, Key={"pk": S("all"), "sk": N(0)}, ConsistentRead=True)["Item"]
    assert canon(got) == [it for it in b.snap if it["pk"] == S("all")][0]  # numbers as the server wrote them
    assert sorted(got) == sorted(ALL_TYPES_ITEM)
    assert "Item" not in dynamodb.get_item(TableName=target, Key={"pk": S("p9"), "sk": N(0)}, ConsistentRead=True)

    # The restored table is an ordinary table: writable, its indexes maintained.
    dynamodb.put_item(TableName=target, Item={"pk": S("p0"), "sk": N(99), "cat": S("blue"), "rank": N(-5),
                                              "lr": N(0)})
    items = mt.full_query(dynamodb, TableName=target, IndexName="by_cat", KeyConditionExpression="cat = :c",
                          ExpressionAttributeValues={":c": S("blue")})
    assert items[0]["sk"] == N(99)
    # ... and the source never saw that write.
    assert "Item" not in dynamodb.get_item(TableName=b.table, Key={"pk": S("p0"), "sk": N(99)}, ConsistentRead=True)
    # A restore makes a new table: created at the restore, not when the source was.
    assert ts(t["CreationDateTime"]) >= t0 - 2, (t["CreationDateTime"], b.table_desc["CreationDateTime"])


def test_describe_backup(backed_up, dynamodb):
    b = backed_up
    d = dynamodb.describe_backup(BackupArn=b.arn)["BackupDescription"]
    det = d["BackupDetails"]
    assert det["BackupArn"] == b.arn
    assert det["BackupName"] == b.name
    assert det["BackupStatus"] == "AVAILABLE"
    assert det["BackupType"] == "USER"
    assert det["BackupSizeBytes"] > 0
    assert ts(det["BackupCreationDateTime"]) == pytest.approx(ts(b.created["BackupCreationDateTime"]), abs=0.001)

    src = d["SourceTableDetails"]
    assert src["TableName"] == b.table
    assert src["TableArn"] == b.table_desc["TableArn"]
    assert src["TableId"] == b.table_desc["TableId"]
    assert src["KeySchema"] == INDEXED_TABLE["KeySchema"]
    assert src["ItemCount"] == b.count
    assert src["TableSizeBytes"] > 0
    assert src["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" in src
    assert ts(src["TableCreationDateTime"]) == pytest.approx(ts(b.table_desc["CreationDateTime"]), abs=1.0)

    feat = d["SourceTableFeatureDetails"]
    gsis = {g["IndexName"]: g for g in feat["GlobalSecondaryIndexes"]}
    assert sorted(gsis) == ["by_cat", "by_owner"]
    for want in (GSI_BY_CAT, GSI_BY_OWNER):
        assert gsis[want["IndexName"]]["KeySchema"] == want["KeySchema"]
        assert gsis[want["IndexName"]]["Projection"] == want["Projection"]
    lsis = feat["LocalSecondaryIndexes"]
    assert [(x["IndexName"], x["KeySchema"], x["Projection"]) for x in lsis] == \
        [("by_lr", LSI_BY_LR["KeySchema"], LSI_BY_LR["Projection"])]


def test_describe_backup_of_provisioned_table(dynamodb, tables):
    name = tables.create(("pk", "S"), ("sk", "N"), ProvisionedThroughput={"ReadCapacityUnits": 7,
                                                                       "WriteCapacityUnits": 3})
    for k in range(3):
        dynamodb.put_item(TableName=name, Item={"pk": S("a"), "sk": N(k), "v": S("x" * 100)})
    arn = dynamodb.create_backup(TableName=name, BackupName="prov")["BackupDetails"]["BackupArn"]
    try:
        src = wait_backup(dynamodb, arn)["SourceTableDetails"]
        assert src["BillingMode"] == "PROVISIONED"
        assert src["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
        assert src["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
        assert src["ItemCount"] == 3
        target = tables.name()
        restore(dynamodb, arn, target)
        t = wait_table_ready(dynamodb, target)
        # A restore keeps the backed-up capacity mode and throughput.
        assert t.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == "PROVISIONED"
        assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
        assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
        assert snapshot(dynamodb, target) == snapshot(dynamodb, name)
    finally:
        delete_backup_quietly(dynamodb, arn)


def test_restore_with_billing_mode_and_gsi_override(backed_up, dynamodb):
    b = backed_up
    target = mt.unique_name("it-restored-ovr")
    b.extra_tables.append(target)
    kept = dict(GSI_BY_CAT, ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2})
    desc = restore(dynamodb, b.arn, target, BillingModeOverride="PROVISIONED",
                   ProvisionedThroughputOverride={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
                   GlobalSecondaryIndexOverride=[kept])
    assert desc["TableStatus"] == "CREATING"
    assert desc["RestoreSummary"]["SourceBackupArn"] == b.arn
    t = wait_table_ready(dynamodb, target)
    assert t.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == "PROVISIONED"
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    assert [g["IndexName"] for g in t["GlobalSecondaryIndexes"]] == ["by_cat"]
    g = t["GlobalSecondaryIndexes"][0]
    assert g["KeySchema"] == GSI_BY_CAT["KeySchema"]
    assert g["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert g["ProvisionedThroughput"]["WriteCapacityUnits"] == 2
    # No LocalSecondaryIndexOverride: the LSI comes back as it was.
    assert [x["IndexName"] for x in t["LocalSecondaryIndexes"]] == ["by_lr"]

    assert snapshot(dynamodb, target) == b.snap
    view = index_view_without_owner(dynamodb, target)
    assert view == {k: v for k, v in b.view.items() if not k.startswith("by_owner/")}
    mt.expect_error(lambda: dynamodb.query(TableName=target, IndexName="by_owner",
                                           KeyConditionExpression="#o = :o",
                                           ExpressionAttributeNames={"#o": "owner"},
                                           ExpressionAttributeValues={":o": S("u1")}),
                    "ValidationException", "The table does not have the specified index: by_owner")


def index_view_without_owner(client, table):
    out = {}
    for cat in CATS:
        items = mt.full_query(client, TableName=table, IndexName="by_cat",
                              KeyConditionExpression="cat = :c", ExpressionAttributeValues={":c": S(cat)})
        out[f"by_cat/{cat}"] = sorted((canon(it) for it in items), key=repr)
    for pk in PKS + ("p9",):
        items = mt.full_query(client, TableName=table, IndexName="by_lr", ConsistentRead=True,
                              KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S(pk)})
        out[f"by_lr/{pk}"] = [(it["sk"]["N"], it["lr"]["N"], sorted(it)) for it in items]
    return out


def list_all_backups(client, **kwargs) -> list[dict]:
    out, start = [], None
    for _ in range(1000):
        if start:
            kwargs["ExclusiveStartBackupArn"] = start
        page = client.list_backups(**kwargs)
        out += page["BackupSummaries"]
        start = page.get("LastEvaluatedBackupArn")
        if not start:
            return out
    raise AssertionError("ListBackups paging did not end")


def test_list_backups_paging_filters_and_delete(dynamodb, tables):
    ta = tables.create(("pk", "S"))
    tb = tables.create(("pk", "S"))
    dynamodb.put_item(TableName=ta, Item={"pk": S("a")})
    dynamodb.put_item(TableName=tb, Item={"pk": S("b")})
    arns = []
    try:
        b1 = dynamodb.create_backup(TableName=ta, BackupName="first")["BackupDetails"]
        arns.append(b1["BackupArn"])
        time.sleep(1.1)  # the time-range filters below are in whole seconds (boto3 sends integers)
        b2 = dynamodb.create_backup(TableName=ta, BackupName="second")["BackupDetails"]
        arns.append(b2["BackupArn"])
        b3 = dynamodb.create_backup(TableName=ta, BackupName="third")["BackupDetails"]
        arns.append(b3["BackupArn"])
        bb = dynamodb.create_backup(TableName=tb, BackupName="other")["BackupDetails"]
        arns.append(bb["BackupArn"])
        for a in arns:
            wait_backup(dynamodb, a)
        a_arns = {b1["BackupArn"], b2["BackupArn"], b3["BackupArn"]}

        # TableName filter, every BackupSummary field.
        page = dynamodb.list_backups(TableName=ta)
        assert "LastEvaluatedBackupArn" not in page
        summaries = {s["BackupArn"]: s for s in page["BackupSummaries"]}
        assert set(summaries) == a_arns
        ta_desc = dynamodb.describe_table(TableName=ta)["Table"]
        for det in (b1, b2, b3):
            s = summaries[det["BackupArn"]]
            assert s["TableName"] == ta
            assert s["TableArn"] == ta_desc["TableArn"]
            assert s["TableId"] == ta_desc["TableId"]
            assert s["BackupName"] == det["BackupName"]
            assert s["BackupStatus"] == "AVAILABLE"
            assert s["BackupType"] == "USER"
            assert s["BackupSizeBytes"] >= 0
            assert ts(s["BackupCreationDateTime"]) == pytest.approx(ts(det["BackupCreationDateTime"]), abs=0.001)

        # Limit=1 and ExclusiveStartBackupArn walk all three, one per page, each once.
        seen, start, pages = [], None, 0
        while True:
            kw = {"TableName": ta, "Limit": 1}
            if start:
                kw["ExclusiveStartBackupArn"] = start
            page = dynamodb.list_backups(**kw)
            pages += 1
            assert len(page["BackupSummaries"]) <= 1, page
            seen += [s["BackupArn"] for s in page["BackupSummaries"]]
            start = page.get("LastEvaluatedBackupArn")
            if not start:
                break
            if page["BackupSummaries"]:  # the last ARN of the page, "inclusive of the current page"
                assert start == page["BackupSummaries"][-1]["BackupArn"]
            assert pages <= 5, "Limit=1 paging of 3 backups does not end"
        assert sorted(seen) == sorted(a_arns), seen

        # Without TableName: every table's backups (the session server may hold others).
        everything = {s["BackupArn"] for s in list_all_backups(dynamodb)}
        assert set(arns) <= everything
        assert {s["BackupArn"] for s in list_all_backups(dynamodb, TableName=tb)} == {bb["BackupArn"]}

        # Time range: lower bound inclusive, upper bound exclusive (whole seconds on the wire).
        cut = int(ts(b2["BackupCreationDateTime"]))
        assert ts(b1["BackupCreationDateTime"]) < cut
        later = {s["BackupArn"] for s in list_all_backups(dynamodb, TableName=ta, TimeRangeLowerBound=cut)}
        assert later == {b2["BackupArn"], b3["BackupArn"]}
        earlier = {s["BackupArn"] for s in list_all_backups(dynamodb, TableName=ta, TimeRangeUpperBound=cut)}
        assert earlier == {b1["BackupArn"]}
        both = {s["BackupArn"] for s in list_all_backups(dynamodb, TableName=ta, TimeRangeLowerBound=cut - 3600,
                                                         TimeRangeUpperBound=cut + 3600)}
        assert both == a_arns

        # BackupType filter: these are USER backups.
        assert {s["BackupArn"] for s in list_all_backups(dynamodb, TableName=ta, BackupType="USER")} == a_arns
        assert {s["BackupArn"] for s in list_all_backups(dynamodb, TableName=ta, BackupType="ALL")} == a_arns
        assert list_all_backups(dynamodb, TableName=ta, BackupType="SYSTEM") == []

        # DeleteBackup answers the description with status DELETED; then it is gone.
        out = dynamodb.delete_backup(BackupArn=b1["BackupArn"])["BackupDescription"]
        assert out["BackupDetails"]["BackupArn"] == b1["BackupArn"]
        assert out["BackupDetails"]["BackupName"] == "first"
        assert out["BackupDetails"]["BackupStatus"] == "DELETED"
        assert out["SourceTableDetails"]["TableName"] == ta
        mt.expect_error(lambda: dynamodb.describe_backup(BackupArn=b1["BackupArn"]), "BackupNotFoundException")
        mt.expect_error(lambda: dynamodb.delete_backup(BackupArn=b1["BackupArn"]), "BackupNotFoundException")
        mt.expect_error(lambda: dynamodb.restore_table_from_backup(TargetTableName=tables.name(),
                                                                   BackupArn=b1["BackupArn"]),
                        "BackupNotFoundException")
        assert {s["BackupArn"] for s in list_all_backups(dynamodb, TableName=ta)} == {b2["BackupArn"], b3["BackupArn"]}
        # The other backups still restore.
        target = tables.name()
        restore(dynamodb, b3["BackupArn"], target)
        wait_table_ready(dynamodb, target)
        assert snapshot(dynamodb, target) == [{"pk": S("a")}]
    finally:
        for a in arns:
            delete_backup_quietly(dynamodb, a)


def test_backup_outlives_its_table_and_restores_under_the_same_name(dynamodb, tables):
    name = tables.create(("pk", "S"))
    items = [{"pk": S(f"k{i}"), "v": N(i), "blob": {"B": bytes([i]) * 10}} for i in range(20)]
    for it in items:
        dynamodb.put_item(TableName=name, Item=it)
    arn = dynamodb.create_backup(TableName=name, BackupName="before-drop")["BackupDetails"]["BackupArn"]
    try:
        wait_backup(dynamodb, arn)
        dynamodb.delete_table(TableName=name)
        mt.wait_gone(dynamodb, name)
        # Still listed under the deleted table's name, still described.
        assert [s["BackupArn"] for s in list_all_backups(dynamodb, TableName=name)] == [arn]
        assert dynamodb.describe_backup(BackupArn=arn)["BackupDescription"]["SourceTableDetails"]["TableName"] == name
        restore(dynamodb, arn, name)
        wait_table_ready(dynamodb, name)
        assert snapshot(dynamodb, name) == sorted((canon(it) for it in items),
                                                  key=lambda it: (repr(it.get("pk")), repr(it.get("sk"))))
    finally:
        delete_backup_quietly(dynamodb, arn)


def test_backup_errors(backed_up, dynamodb, raw, tables):
    b = backed_up
    missing_table = mt.unique_name("it-nosuch")
    fake_arn = b.table_desc["TableArn"] + "/backup/01700000000000-deadbeef"
    target = tables.name()

    raw_error(raw, "CreateBackup", {"TableName": missing_table, "BackupName": "bk1"}, "TableNotFoundException")
    mt.expect_error(lambda: dynamodb.create_backup(TableName=missing_table, BackupName="bk1"),
                    "TableNotFoundException")
    raw_error(raw, "DescribeBackup", {"BackupArn": fake_arn}, "BackupNotFoundException")
    mt.expect_error(lambda: dynamodb.describe_backup(BackupArn=fake_arn), "BackupNotFoundException")
    raw_error(raw, "DeleteBackup", {"BackupArn": fake_arn}, "BackupNotFoundException")
    raw_error(raw, "RestoreTableFromBackup", {"TargetTableName": target, "BackupArn": fake_arn},
              "BackupNotFoundException")
    mt.expect_error(lambda: dynamodb.describe_table(TableName=target), "ResourceNotFoundException")
    raw_error(raw, "RestoreTableFromBackup", {"TargetTableName": b.table, "BackupArn": b.arn},
              "TableAlreadyExistsException")
    mt.expect_error(lambda: dynamodb.restore_table_from_backup(TargetTableName=b.table, BackupArn=b.arn),
                    "TableAlreadyExistsException")

    # Malformed requests: com.amazon.coral.validate#ValidationException.
    raw_error(raw, "CreateBackup", {"TableName": b.table, "BackupName": "bad name!"}, "ValidationException")
    raw_error(raw, "CreateBackup", {"TableName": b.table, "BackupName": "ab"}, "ValidationException")
    raw_error(raw, "CreateBackup", {"TableName": b.table, "BackupName": "b" * 256}, "ValidationException")
    raw_error(raw, "CreateBackup", {"TableName": b.table}, "ValidationException")
    raw_error(raw, "CreateBackup", {"BackupName": "bk1"}, "ValidationException")
    raw_error(raw, "DescribeBackup", {}, "ValidationException")
    raw_error(raw, "RestoreTableFromBackup", {"TargetTableName": "no spaces!", "BackupArn": b.arn},
              "ValidationException")
    raw_error(raw, "RestoreTableFromBackup", {"TargetTableName": "ab", "BackupArn": b.arn}, "ValidationException")
    raw_error(raw, "RestoreTableFromBackup", {"BackupArn": b.arn}, "ValidationException")
    raw_error(raw, "RestoreTableFromBackup", {"TargetTableName": target, "BackupArn": b.arn,
                                              "BillingModeOverride": "SOMETIMES"}, "ValidationException")
    mt.expect_error(lambda: dynamodb.describe_table(TableName=target), "ResourceNotFoundException")
    raw_error(raw, "ListBackups", {"Limit": 0}, "ValidationException")
    raw_error(raw, "ListBackups", {"Limit": 101}, "ValidationException")
    raw_error(raw, "ListBackups", {"BackupType": "HOURLY"}, "ValidationException")
    raw_error(raw, "ListBackups", {"TableName": "x"}, "ValidationException")

    # The failed calls left the backup and the source as they were.
    assert dynamodb.describe_backup(BackupArn=b.arn)["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    assert b.arn in {s["BackupArn"] for s in list_all_backups(dynamodb, TableName=b.table)}

    # Length constraints of BackupArn (37..1024), checked before the lookup.
    for op in ("DescribeBackup", "DeleteBackup"):
        raw_error(raw, op, {"BackupArn": "arn:too-short"}, "ValidationException")
    raw_error(raw, "RestoreTableFromBackup", {"TargetTableName": target, "BackupArn": "arn:too-short"},
              "ValidationException")


def _ok(result):
    rc, out, err = result
    assert rc == 0, f"aws exited {rc}: {err}"
    return out


@pytest.mark.skipif(not os.access(mt.AWS_CLI, os.X_OK), reason=f"{mt.AWS_CLI} not installed")
def test_cli_create_describe_list_restore_delete_backup(aws, dynamodb, tables):
    name = tables.create(("pk", "S"), ("sk", "N"))
    items = [{"pk": S("cli"), "sk": N(i), "v": S(f"value-{i}"), "tags": {"SS": ["a", "b"]}} for i in range(3)]
    for it in items:
        dynamodb.put_item(TableName=name, Item=it)

    out = _ok(aws("create-backup", "--table-name", name, "--backup-name", "cli-backup"))
    det = out["BackupDetails"]
    arn = det["BackupArn"]
    try:
        assert det["BackupName"] == "cli-backup"
        assert det["BackupType"] == "USER"
        assert det["BackupStatus"] in ("CREATING", "AVAILABLE")
        assert arn.startswith(dynamodb.describe_table(TableName=name)["Table"]["TableArn"] + "/backup/")
        wait_backup(dynamodb, arn)

        desc = _ok(aws("describe-backup", "--backup-arn", arn))["BackupDescription"]
        assert desc["BackupDetails"]["BackupArn"] == arn
        assert desc["BackupDetails"]["BackupStatus"] == "AVAILABLE"
        assert desc["SourceTableDetails"]["TableName"] == name
        assert desc["SourceTableDetails"]["ItemCount"] == 3
        assert desc["SourceTableDetails"]["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                                           {"AttributeName": "sk", "KeyType": "RANGE"}]

        listed = _ok(aws("list-backups", "--table-name", name))["BackupSummaries"]
        assert [(s["BackupArn"], s["BackupName"], s["BackupStatus"]) for s in listed] == \
            [(arn, "cli-backup", "AVAILABLE")]

        target = tables.name()
        out = _ok(aws("restore-table-from-backup", "--target-table-name", target, "--backup-arn", arn))
        assert out["TableDescription"]["TableName"] == target
        assert out["TableDescription"]["RestoreSummary"]["SourceBackupArn"] == arn
        wait_table_ready(dynamodb, target)
        assert snapshot(dynamodb, target) == snapshot(dynamodb, name)

        out = _ok(aws("delete-backup", "--backup-arn", arn))
        assert out["BackupDescription"]["BackupDetails"]["BackupStatus"] == "DELETED"
        rc, _, err = aws("describe-backup", "--backup-arn", arn)
        assert rc != 0 and "BackupNotFoundException" in err, err
        assert _ok(aws("list-backups", "--table-name", name))["BackupSummaries"] == []
    finally:
        delete_backup_quietly(dynamodb, arn)


# -- restart ---------------------------------------------------------------------------------

@pytest.mark.skipif(mt.IS_EXTERNAL, reason="needs a private meridiand")
def test_backups_survive_restart_and_sigkill(tmp_path):
    srv = mt.MeridianServer(tmp_path / "data", tmp_path / "meridiand.log")
    try:
        srv.start()
    except mt.ServerStartError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        c = mt.make_client(srv.endpoint)
        name = "restart-src"
        c.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **INDEXED_TABLE)
        wait_table_ready(c, name)
        seed(c, name)
        snap, view = snapshot(c, name), index_view(c, name)
        kept = c.create_backup(TableName=name, BackupName="kept")["BackupDetails"]
        dropped = c.create_backup(TableName=name, BackupName="dropped")["BackupDetails"]
        kept_desc = wait_backup(c, kept["BackupArn"])
        wait_backup(c, dropped["BackupArn"])
        c.delete_backup(BackupArn=dropped["BackupArn"])
        mutate(c, name)

        # Clean restart.
        srv.stop()
        srv.start()
        c = mt.make_client(srv.endpoint)
        assert [s["BackupArn"] for s in list_all_backups(c, TableName=name)] == [kept["BackupArn"]]
        d = c.describe_backup(BackupArn=kept["BackupArn"])["BackupDescription"]
        assert d["BackupDetails"] == kept_desc["BackupDetails"]
        assert d["SourceTableDetails"] == kept_desc["SourceTableDetails"]
        mt.expect_error(lambda: c.describe_backup(BackupArn=dropped["BackupArn"]), "BackupNotFoundException")
        restore(c, kept["BackupArn"], "restart-copy")
        wait_table_ready(c, "restart-copy")
        assert snapshot(c, "restart-copy") == snap
        assert index_view(c, "restart-copy") == view

        # SIGKILL: the AVAILABLE backup and the finished restore are both still there.
        srv.kill()
        srv.start()
        c = mt.make_client(srv.endpoint)
        assert c.describe_backup(BackupArn=kept["BackupArn"])["BackupDescription"]["BackupDetails"] == \
            kept_desc["BackupDetails"]
        assert wait_table_ready(c, "restart-copy")["RestoreSummary"]["RestoreInProgress"] is False
        assert snapshot(c, "restart-copy") == snap
        assert index_view(c, "restart-copy") == view
        restore(c, kept["BackupArn"], "restart-copy2")
        wait_table_ready(c, "restart-copy2")
        assert snapshot(c, "restart-copy2") == snap
    finally:
        srv.stop()
