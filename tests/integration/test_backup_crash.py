"""Crash safety of backups and restores: SIGKILL of meridiand right after CreateBackup or
RestoreTableFromBackup is answered, then a restart on the same data dir, must leave no half
backup and no half table visible:

  * a backup is either AVAILABLE and complete (a restore of it holds every item), or absent
    (DescribeBackup: BackupNotFoundException, not listed); one found CREATING after the
    restart must go on to AVAILABLE and be complete;
  * a restored table is either ACTIVE with all the items, or absent (ResourceNotFoundException,
    not listed, and the name can be restored to again); one found CREATING after the restart
    must go on to ACTIVE with all the items.

Also, while a backup or a restore of this large table is in progress, the conflicting calls
DynamoDB refuses are refused: BackupInUseException (restore from / delete a backup still
being created) and TableInUseException (restore onto / back up a table still being
restored).

A private meridiand with a table of NITEMS items of ~1 KB (so that a backup or a restore
takes a moment); skipped against $DYNAMODB_ENDPOINT.
"""
from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from meridian_testlib import S, N, canon
from test_backups import wait_backup, wait_table_ready

pytestmark = pytest.mark.skipif(mt.IS_EXTERNAL, reason="needs a private meridiand")

NITEMS = int(os.environ.get("MERIDIAN_BACKUP_CRASH_ITEMS", "50000"))
BIG = "big"
RECOVER_TIMEOUT = 180.0


def item(i: int) -> dict:
    return {"pk": S(f"k{i:06d}"), "n": N(i), "pad": S((f"{i:06d}-" * 143)[:1000])}


class Node:
    """The module's meridiand; restart() is a SIGKILL and a start on the same data dir."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.srv: mt.MeridianServer | None = None
        self.client = None

    def start(self) -> None:
        self.srv = mt.MeridianServer(self.workdir / "data", self.workdir / "meridiand.log")
        try:
            self.srv.start(timeout=120)
        except mt.ServerStartError as e:
            pytest.fail(str(e), pytrace=False)
        self.client = mt.make_client(self.srv.endpoint)

    def kill_and_restart(self) -> None:
        self.srv.kill()
        self.start()


def load(endpoint: str, table: str, n: int, threads: int = 4) -> None:
    errors: list[BaseException] = []

    def worker(lo: int, hi: int) -> None:
        try:
            c = mt.make_client(endpoint)
            for start in range(lo, hi, 25):
                reqs = {table: [{"PutRequest": {"Item": item(i)}} for i in range(start, min(start + 25, hi))]}
                for _ in range(100):
                    out = c.batch_write_item(RequestItems=reqs)
                    reqs = out.get("UnprocessedItems")
                    if not reqs:
                        break
                    time.sleep(0.05)
                else:
                    raise AssertionError("BatchWriteItem kept returning UnprocessedItems")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    ts_ = [threading.Thread(target=worker, args=(k * n // threads, (k + 1) * n // threads)) for k in range(threads)]
    for t in ts_:
        t.start()
    for t in ts_:
        t.join()
    assert not errors, errors


@pytest.fixture(scope="module")
def node():
    workdir = Path(tempfile.mkdtemp(prefix="meridian-bkcrash-"))
    nd = Node(workdir)
    nd.start()
    try:
        nd.client.create_table(TableName=BIG, BillingMode="PAY_PER_REQUEST", **mt.key_schema(("pk", "S")))
        wait_table_ready(nd.client, BIG)
        load(nd.srv.endpoint, BIG, NITEMS)
        yield nd
    finally:
        if nd.srv is not None:
            nd.srv.stop()
        if os.environ.get("MERIDIAN_KEEP_DATA"):
            print(f"\nkept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def verify_complete(client, table: str) -> None:
    """Every one of the NITEMS items is in the table, each exactly as written."""
    rows = mt.full_scan(client, TableName=table, ConsistentRead=True, ProjectionExpression="pk, n")
    assert len(rows) == NITEMS, f"{table}: {len(rows)} items, want {NITEMS}"
    assert {(r["pk"]["S"], r["n"]["N"]) for r in rows} == {(f"k{i:06d}", str(i)) for i in range(NITEMS)}
    rng = random.Random(table)
    for i in [0, NITEMS - 1] + rng.sample(range(NITEMS), 20):
        got = client.get_item(TableName=table, Key={"pk": S(f"k{i:06d}")}, ConsistentRead=True).get("Item")
        assert got is not None and canon(got) == canon(item(i)), (table, i)


def table_names(client) -> set[str]:
    names, start = set(), None
    while True:
        page = client.list_tables(**({"ExclusiveStartTableName": start} if start else {}))
        names |= set(page["TableNames"])
        start = page.get("LastEvaluatedTableName")
        if not start:
            return names


def backup_arns(client, table: str) -> set[str]:
    arns, start = set(), None
    while True:
        page = client.list_backups(TableName=table, **({"ExclusiveStartBackupArn": start} if start else {}))
        arns |= {s["BackupArn"] for s in page["BackupSummaries"]}
        start = page.get("LastEvaluatedBackupArn")
        if not start:
            return arns


def drop_table(client, name: str) -> None:
    mt.delete_table_quietly(client, name)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            client.describe_table(TableName=name)
        except ClientError as e:
            if mt.error_code(e) == "ResourceNotFoundException":
                return
            raise
        time.sleep(0.1)
    raise AssertionError(f"{name} not gone")


def source_intact(client) -> None:
    n = 0
    start = None
    while True:
        kw = dict(TableName=BIG, Select="COUNT", ConsistentRead=True)
        if start:
            kw["ExclusiveStartKey"] = start
        page = client.scan(**kw)
        n += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert n == NITEMS, f"source table has {n} items after the crash, want {NITEMS}"


# -- conflicts while in progress (first: the server is fresh) ---------------------------------------

def _during(status, busy: str, done: str, call, code: str) -> str:
    """call() while status() is `busy`: "checked" if it failed with `code`; "late" if the
    operation had already finished; "raced" if it reached `done` during the call (no verdict);
    "WRONG: ..." otherwise."""
    if status() != busy:
        return "late"
    err = None
    try:
        call()
    except ClientError as e:
        err = e
    if err is not None and mt.error_code(err) == code:
        return "checked"
    after = status()
    if after == done:
        return "raced"
    return (f"WRONG: expected {code} while {busy}, got "
            f"{mt.error_code(err) + ': ' + mt.error_message(err) if err else 'success'} "
            f"(status after the call: {after})")


def backup_status(c, arn):
    try:
        return c.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"]
    except ClientError as e:
        if mt.error_code(e) == "BackupNotFoundException":
            return "gone"
        raise


def table_status(c, name):
    try:
        return c.describe_table(TableName=name)["Table"]["TableStatus"]
    except ClientError as e:
        if mt.error_code(e) == "ResourceNotFoundException":
            return "gone"
        raise


def test_conflicting_calls_while_backup_and_restore_are_in_progress(node):
    c = node.client
    verdicts = {}

    arn = c.create_backup(TableName=BIG, BackupName="inuse")["BackupDetails"]["BackupArn"]
    verdicts["restore from a CREATING backup"] = _during(
        lambda: backup_status(c, arn), "CREATING", "AVAILABLE",
        lambda: c.restore_table_from_backup(TargetTableName="inuse-early", BackupArn=arn), "BackupInUseException")
    if backup_status(c, arn) == "CREATING":
        try:
            c.delete_backup(BackupArn=arn)
            # Refused by DynamoDB while the backup is being created; accepted only if it
            # became AVAILABLE in the meantime (no verdict then).
            verdicts["delete a CREATING backup"] = "raced"
            arn = c.create_backup(TableName=BIG, BackupName="inuse2")["BackupDetails"]["BackupArn"]
        except ClientError as e:
            verdicts["delete a CREATING backup"] = "checked" if mt.error_code(e) == "BackupInUseException" \
                else f"WRONG: expected BackupInUseException, got {mt.error_code(e)}: {mt.error_message(e)}"
    d = wait_backup(c, arn, RECOVER_TIMEOUT)
    assert d["SourceTableDetails"]["ItemCount"] == NITEMS
    if table_status(c, "inuse-early") != "gone":  # a raced restore: it must still be whole
        wait_table_ready(c, "inuse-early", RECOVER_TIMEOUT)
        verify_complete(c, "inuse-early")
        drop_table(c, "inuse-early")

    target = "inuse-target"
    desc = c.restore_table_from_backup(TargetTableName=target, BackupArn=arn)["TableDescription"]
    assert desc["TableStatus"] == "CREATING"
    verdicts["restore onto a table being restored"] = _during(
        lambda: table_status(c, target), "CREATING", "ACTIVE",
        lambda: c.restore_table_from_backup(TargetTableName=target, BackupArn=arn), "TableInUseException")
    verdicts["back up a table being restored"] = _during(
        lambda: table_status(c, target), "CREATING", "ACTIVE",
        lambda: c.create_backup(TableName=target, BackupName="too-early"), "TableInUseException")
    wait_table_ready(c, target, RECOVER_TIMEOUT)
    verify_complete(c, target)
    for a in backup_arns(c, target):  # a raced CreateBackup
        wait_backup(c, a, RECOVER_TIMEOUT)
        c.delete_backup(BackupArn=a)
    drop_table(c, target)
    c.delete_backup(BackupArn=arn)
    print("in-progress conflict checks:", verdicts)
    wrong = {k: v for k, v in verdicts.items() if v.startswith("WRONG")}
    assert not wrong, wrong
    if not any(v == "checked" for v in verdicts.values()):
        pytest.skip(f"backup and restore of {NITEMS} items finished before any conflicting call: {verdicts}")


# -- SIGKILL during CreateBackup -------------------------------------------------------------------

@pytest.mark.parametrize("delay", [0.0, 0.05, 0.3])
def test_sigkill_during_create_backup(node, delay):
    c = node.client
    name = f"crash-{int(delay * 1000)}ms"
    out = c.create_backup(TableName=BIG, BackupName=name)["BackupDetails"]
    arn = out["BackupArn"]
    was = out["BackupStatus"]
    if delay:
        time.sleep(delay)
    node.kill_and_restart()
    c = node.client
    source_intact(c)

    try:
        d = c.describe_backup(BackupArn=arn)["BackupDescription"]
    except ClientError as e:
        assert mt.error_code(e) == "BackupNotFoundException", e.response
        assert arn not in backup_arns(c, BIG), "a backup not found by DescribeBackup is listed"
        print(f"delay {delay}: backup ({was} when killed) absent after restart")
        return
    status = d["BackupDetails"]["BackupStatus"]
    assert status in ("AVAILABLE", "CREATING"), d["BackupDetails"]
    assert arn in backup_arns(c, BIG)
    d = wait_backup(c, arn, RECOVER_TIMEOUT)  # CREATING after the restart must finish
    print(f"delay {delay}: backup ({was} when killed) {status} after restart, then AVAILABLE")
    assert d["SourceTableDetails"]["ItemCount"] == NITEMS
    assert d["BackupDetails"]["BackupName"] == name
    target = f"from-{name}"
    c.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
    wait_table_ready(c, target, RECOVER_TIMEOUT)
    verify_complete(c, target)
    drop_table(c, target)
    c.delete_backup(BackupArn=arn)


# -- SIGKILL during RestoreTableFromBackup ----------------------------------------------------------

@pytest.fixture(scope="module")
def big_backup(node):
    arn = node.client.create_backup(TableName=BIG, BackupName="for-restores")["BackupDetails"]["BackupArn"]
    wait_backup(node.client, arn, RECOVER_TIMEOUT)
    return arn


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.3])
def test_sigkill_during_restore(node, big_backup, delay):
    c = node.client
    target = f"restore-crash-{int(delay * 1000)}ms"
    desc = c.restore_table_from_backup(TargetTableName=target, BackupArn=big_backup)["TableDescription"]
    assert desc["TableStatus"] == "CREATING"
    if delay:
        time.sleep(delay)
    node.kill_and_restart()
    c = node.client
    source_intact(c)
    assert c.describe_backup(BackupArn=big_backup)["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE"

    try:
        t = c.describe_table(TableName=target)["Table"]
    except ClientError as e:
        assert mt.error_code(e) == "ResourceNotFoundException", e.response
        assert target not in table_names(c), "a table DescribeTable does not find is listed"
        mt.expect_error(lambda: c.get_item(TableName=target, Key={"pk": S("k000000")}),
                        "ResourceNotFoundException")
        print(f"delay {delay}: restored table absent after restart; restoring again")
        # Nothing left behind blocks the name: the same restore now succeeds, whole.
        c.restore_table_from_backup(TargetTableName=target, BackupArn=big_backup)
        wait_table_ready(c, target, RECOVER_TIMEOUT)
        verify_complete(c, target)
        drop_table(c, target)
        return
    print(f"delay {delay}: restored table {t['TableStatus']} after restart")
    assert t["TableStatus"] in ("ACTIVE", "CREATING"), t["TableStatus"]
    assert target in table_names(c)
    t = wait_table_ready(c, target, RECOVER_TIMEOUT)
    assert t["RestoreSummary"]["SourceBackupArn"] == big_backup
    assert t["RestoreSummary"]["RestoreInProgress"] is False
    verify_complete(c, target)
    drop_table(c, target)
