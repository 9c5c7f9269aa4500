"""Anti-entropy: a replica damaged directly on disk (items deleted and rewritten behind the
store's back, so replication has nothing to resend) is found by the per-range digests and
repaired from its peers by POST /verify on the admin port; repairs are counted."""
from __future__ import annotations

import json
import subprocess
import time
import urllib.request

import meridian_testlib as mt
from cluster_fixture import NREGIONS, cluster  # noqa: F401  (pytest fixture)
from test_replication import create_global_table

S, N = mt.S, mt.N
DAMAGE_TOOL = mt.meridiand_path().parent / "meridian-store-damage"


def verify(cluster, i: int, query: str = "") -> dict:  # noqa: F811
    req = urllib.request.Request(cluster.admin_urls[i] + "/verify" + query, data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200
        return json.loads(r.read())


def test_damaged_replica_is_found_and_repaired(cluster):  # noqa: F811
    cluster.ensure_all_up()
    lww = create_global_table(cluster, "ae_lww")
    merge = create_global_table(cluster, "ae_merge", policy="merge")
    c0 = cluster.clients[0]
    for k in range(300):
        c0.put_item(TableName=lww, Item={"pk": S(f"k{k:04d}"), "v": N(k)})
    for k in range(60):
        cluster.clients[k % NREGIONS].update_item(
            TableName=merge, Key={"pk": S(f"c{k % 20:02d}")}, UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": N(1)})
    cluster.wait_converged(lww, 30)
    cluster.wait_converged(merge, 30)

    # Nothing to repair on a healthy cluster.
    healthy = verify(cluster, 2)
    assert healthy["items_repaired"] == 0
    assert {r["outcome"] for r in healthy["results"]} == {"equal"}, healthy

    # Damage region 2 behind its back: kill -9, edit RocksDB directly, start again.
    cluster.kill9(2)
    out = subprocess.run([str(DAMAGE_TOOL), str(cluster.data_dir(2)), lww, "10", "7"],
                         capture_output=True, text=True, check=True).stdout
    counts = dict(kv.split("=") for kv in out.split())
    deleted, corrupted = int(counts["deleted"]), int(counts["corrupted"])
    assert deleted == 30 and corrupted > 0, out
    out = subprocess.run([str(DAMAGE_TOOL), str(cluster.data_dir(2)), merge, "4"],
                         capture_output=True, text=True, check=True).stdout
    merge_deleted = int(dict(kv.split("=") for kv in out.split())["deleted"])
    assert merge_deleted == 5, out
    cluster.restart(2)
    time.sleep(1.0)
    digests = cluster.digests(lww)
    assert digests[0] == digests[1] != digests[2], digests
    assert len(mt.full_scan(cluster.clients[2], TableName=lww)) == 300 - deleted

    # Without adopt: deleted items come back; same-history corruption is found, not guessed.
    first = verify(cluster, 2, "?table=" + lww)
    assert first["items_repaired"] == deleted, first
    assert any(r["ranges_differing"] > 0 for r in first["results"]), first
    assert cluster.digests(lww)[2] != cluster.digests(lww)[0]
    # adopt=1 on the damaged region takes its peers' bytes where histories are equal.
    second = verify(cluster, 2, "?table=" + lww + "&adopt=1")
    assert second["items_repaired"] == corrupted, second
    repaired_merge = verify(cluster, 2, "?table=" + merge)
    assert repaired_merge["items_repaired"] == merge_deleted, repaired_merge

    assert len(mt.full_scan(cluster.clients[2], TableName=lww)) == 300
    for table in (lww, merge):
        digests = cluster.digests(table)
        assert len(set(digests)) == 1 and digests[0], (table, digests)
    for item in mt.full_scan(cluster.clients[2], TableName=lww):
        assert "damaged" not in item and item["v"] == N(int(item["pk"]["S"][1:])), item
    counter = cluster.clients[2].get_item(TableName=merge, Key={"pk": S("c00")})["Item"]
    assert counter["n"] == N(3)
    varz = cluster.admin(2, "/varz")["replication_counters"]
    assert varz["anti_entropy_items_repaired"] >= deleted + corrupted + merge_deleted
    assert verify(cluster, 2)["items_repaired"] == 0
