"""Backups of a global table on a 2-region cluster run as DynamoDB runs global tables
(`cluster up --local-tables`: a table lives in the region that created it until UpdateTable
ReplicaUpdates adds replicas).

A table made global (created in region 2, a replica added in region 1, written in both) is
backed up in region 2 and restored there under a new name (a backup belongs to the region
that took it): the restored table exists in region 2 only, holds exactly what region 2 held
at the backup, and is not global; adding a replica in region 1 with UpdateTable ReplicaUpdates
Create copies its content there, and from then on writes in either region reach the other.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import meridian_testlib as mt
from cluster_fixture import Cluster, ClusterError
from meridian_testlib import S, N
from test_backups import delete_backup_quietly, snapshot, wait_backup, wait_table_ready

TIMEOUT = 30.0


@pytest.fixture(scope="module")
def cluster2():
    """Two regions (us-east-1 = "region 1", eu-west-1 = "region 2"), local tables."""
    if mt.IS_EXTERNAL:
        pytest.skip("needs a local cluster (DYNAMODB_ENDPOINT is set)")
    if not mt.meridiand_path().is_file() and os.environ.get("MERIDIAN_SKIP_IF_MISSING"):
        pytest.skip(f"{mt.meridiand_path()} not built")
    tmp = Path(tempfile.mkdtemp(prefix="meridian-bkglobal-"))
    c = Cluster(tmp, nregions=2, up_args=["--local-tables"])
    problems: list[str] = []
    try:
        try:
            c.up()
            c.wait_peers(timeout=30)
        except ClusterError as e:
            pytest.fail(f"could not start the cluster: {e}", pytrace=False)
        yield c
    finally:
        problems = c.down()
    if problems:
        pytest.fail("cluster teardown: " + "; ".join(problems), pytrace=False)


def absent(client, name: str) -> bool:
    try:
        client.describe_table(TableName=name)
        return False
    except ClientError as e:
        assert mt.error_code(e) == "ResourceNotFoundException", e.response
        return True


def wait_replicas(client, name: str, expected: dict[str, str], timeout: float = TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        t = client.describe_table(TableName=name)["Table"]
        got = {r["RegionName"]: r["ReplicaStatus"] for r in t.get("Replicas", [])}
        if got == expected and t["TableStatus"] == "ACTIVE":
            return t
        if time.monotonic() > deadline:
            raise AssertionError(f"replicas of {name}: {got} ({t['TableStatus']}), want {expected}")
        time.sleep(0.1)


def item(k: int, origin: str) -> dict:
    return {"pk": S(f"k{k:03d}"), "sk": N(k % 7), "origin": S(origin), "n": N(k * 3),
            "m": {"M": {"l": {"L": [S("x"), N("1.5")]}, "b": {"B": bytes([k % 256]) * 8}}}}


def test_restore_a_global_tables_backup_in_its_region_then_add_a_replica(cluster2):
    c1, c2 = cluster2.clients
    r1, r2 = cluster2.names
    name = mt.unique_name("gbk")
    restored = name + "-restored"
    arn = None
    try:
        c2.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **mt.key_schema(("pk", "S"), ("sk", "N")))
        wait_table_ready(c2, name)
        assert absent(c1, name), "with --local-tables a new table lives in its own region only"
        for k in range(40):
            c2.put_item(TableName=name, Item=item(k, r2))
        # Make it global: a replica in region 1, then writes in region 1 too.
        c2.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": r1}}])
        wait_replicas(c2, name, {r1: "ACTIVE"})
        wait_table_ready(c1, name, TIMEOUT)
        for k in range(40, 60):
            c1.put_item(TableName=name, Item=item(k, r1))
        cluster2.wait_converged(name, TIMEOUT)
        snap = snapshot(c2, name)
        assert len(snap) == 60 and snapshot(c1, name) == snap

        # Back up in region 2 ...
        src_arn = c2.describe_table(TableName=name)["Table"]["TableArn"]
        assert f":{r2}:" in src_arn
        arn = c2.create_backup(TableName=name, BackupName="global-bk")["BackupDetails"]["BackupArn"]
        assert arn.startswith(src_arn + "/backup/")
        # ... and keep writing in both regions.
        c1.put_item(TableName=name, Item=item(100, r1))
        c2.delete_item(TableName=name, Key={"pk": S("k000"), "sk": N(0)})
        c2.update_item(TableName=name, Key={"pk": S("k001"), "sk": N(1)}, UpdateExpression="SET n = :n",
                       ExpressionAttributeValues={":n": N(-1)})
        d = wait_backup(c2, arn)
        assert d["SourceTableDetails"]["TableName"] == name
        assert d["SourceTableDetails"]["ItemCount"] == 60
        cluster2.wait_converged(name, TIMEOUT)

        # Restore in region 2, where the backup is (a backup belongs to its region, as in
        # DynamoDB): a table of region 2 only, with region 2's converged content at the backup.
        desc = c2.restore_table_from_backup(TargetTableName=restored, BackupArn=arn)["TableDescription"]
        assert desc["TableStatus"] == "CREATING"
        assert f":{r2}:" in desc["TableArn"] and desc["TableArn"].endswith(":table/" + restored)
        assert desc["RestoreSummary"]["SourceBackupArn"] == arn
        t = wait_table_ready(c2, restored, TIMEOUT)
        assert not t.get("Replicas"), t.get("Replicas")
        assert snapshot(c2, restored) == snap
        cluster2.wait_converged(None, TIMEOUT)
        assert absent(c1, restored), "a restore creates the table in the region asked only"
        assert restored not in c1.list_tables()["TableNames"]
        # The source global table is untouched by the restore.
        assert snapshot(c1, name) == snapshot(c2, name) != snap

        # Make the restored table global: its content reaches region 1.
        c2.update_table(TableName=restored, ReplicaUpdates=[{"Create": {"RegionName": r1}}])
        wait_replicas(c2, restored, {r1: "ACTIVE"})
        wait_table_ready(c1, restored, TIMEOUT)
        cluster2.wait_converged(restored, TIMEOUT)
        assert snapshot(c1, restored) == snap
        t1 = c1.describe_table(TableName=restored)["Table"]
        assert {r["RegionName"] for r in t1.get("Replicas", [])} == {r2}

        # From then on the replicas replicate both ways.
        c2.put_item(TableName=restored, Item={"pk": S("from-r2"), "sk": N(0)})
        c1.delete_item(TableName=restored, Key={"pk": S("k002"), "sk": N(2)})
        cluster2.wait_converged(restored, TIMEOUT)
        final = snapshot(c1, restored)
        assert final == snapshot(c2, restored)
        assert {"pk": S("from-r2"), "sk": N(0)} in final
        assert len(final) == 60
    finally:
        if arn:
            delete_backup_quietly(c2, arn)
