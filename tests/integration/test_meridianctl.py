"""meridianctl (tools/meridianctl) against a 3-region local cluster.

The cluster runs a copy of meridiand (the build may relink build/bin/meridiand meanwhile);
meridianctl is $MERIDIANCTL or <repo>/build/bin/meridianctl. Every subcommand is run with
--json (one JSON document) and as a human table, on a table written in one region and
replicated to the others.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import signal
import time
from pathlib import Path

import pytest

import meridian_testlib as mt
from cluster_fixture import NREGIONS, started_cluster


def meridianctl_path() -> Path:
    return Path(os.environ.get("MERIDIANCTL") or mt.REPO_ROOT / "build" / "bin" / "meridianctl")


@pytest.fixture(scope="module")
def cluster():
    ctl = meridianctl_path()
    if not ctl.is_file():
        if os.environ.get("MERIDIAN_SKIP_IF_MISSING"):
            pytest.skip(f"{ctl} not built")
        pytest.fail(f"{ctl} not built (ninja meridianctl, or set MERIDIANCTL)", pytrace=False)
    if mt.IS_EXTERNAL:
        pytest.skip("meridianctl tests need a local cluster (DYNAMODB_ENDPOINT is set)")
    binary = mt.meridiand_path()
    if not binary.is_file():
        if os.environ.get("MERIDIAN_SKIP_IF_MISSING"):
            pytest.skip(f"{binary} not built")
        pytest.fail(f"{binary} not built", pytrace=False)
    bindir = Path(tempfile.mkdtemp(prefix="meridian-ctl-bin-"))
    try:
        copy = bindir / "meridiand"
        shutil.copy2(binary, copy)
        with started_cluster(["--meridiand", str(copy)]) as c:
            yield c
    finally:
        shutil.rmtree(bindir, ignore_errors=True)


@pytest.fixture(scope="module")
def table(cluster) -> str:
    """A global table with 7 items written in region 0, replicated everywhere."""
    name = mt.unique_name("ctl")
    client = cluster.clients[0]
    client.create_table(TableName=name, **mt.key_schema(("pk", "S")),
                        BillingMode="PAY_PER_REQUEST")
    mt.wait_active(client, name)
    for i in range(7):
        client.put_item(TableName=name, Item={"pk": mt.S(f"k{i}"), "v": mt.N(i)})
    deadline = time.monotonic() + 30
    while True:  # the table and its items reach the other regions
        stats = [cluster.table_stats(i, name) for i in range(NREGIONS)]
        if all(s and s.get("items") == 7 for s in stats):
            break
        assert time.monotonic() < deadline, f"not replicated: {stats}\n{cluster.describe()}"
        time.sleep(0.1)
    cluster.wait_converged(name, timeout=30)
    return name


def run_ctl(args, admin_urls=None, timeout: float = 60) -> subprocess.CompletedProcess:
    cmd = [str(meridianctl_path())]
    for u in admin_urls or []:
        cmd += ["--admin", u]
    env = {k: v for k, v in os.environ.items() if k != "MERIDIAN_ADMIN"}
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


def ctl(cluster, *args, timeout: float = 60) -> subprocess.CompletedProcess:
    """meridianctl with every region's admin URL (works whether or not /regionz advertises
    the peers' admin URLs)."""
    return run_ctl(args, cluster.admin_urls, timeout=timeout)


def ctl_json(cluster, *args):
    p = ctl(cluster, *args, "--json")
    assert p.returncode == 0, f"exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return json.loads(p.stdout)


def by_region(docs: list[dict]) -> dict[str, dict]:
    return {d["region"]: d for d in docs}


def test_status_json_lists_every_region_healthy(cluster, table):
    doc = ctl_json(cluster, "status")
    regions = by_region(doc["regions"])
    assert set(regions) == set(cluster.names)
    assert doc["healthy"] is True
    assert doc["undiscovered"] == []
    for i, name in enumerate(cluster.names):
        r = regions[name]
        assert r["reachable"] is True and r["error"] is None
        assert r["admin_url"] == cluster.admin_urls[i]
        assert r["region_id"] == cluster.region_ids[i]
        assert r["health"] == "ok"
        assert r["nats_connected"] is True
        assert isinstance(r["last_seq"], int)
        assert isinstance(r["applied"], dict)
        peers = {p["region"]: p for p in r["peers"]}
        assert set(peers) == set(cluster.names) - {name}
        for p in peers.values():
            assert p["connected"] is True
            assert isinstance(p["lag_ms"], int) and p["lag_ms"] >= 0
            assert isinstance(p["pending"], int)
            assert p["behind"] == 0  # converged
    # Region 0 wrote the 7 items (and the table): every region applied them.
    origin = str(cluster.region_ids[0])
    head = regions[cluster.names[0]]["last_seq"]
    assert head >= 7
    for r in regions.values():
        assert r["applied"].get(origin) == head


def test_status_human_names_every_region(cluster, table):
    p = ctl(cluster, "status")
    assert p.returncode == 0, p.stderr
    assert "REGION" in p.stdout and "LAG_MS" in p.stdout
    for name in cluster.names:
        assert name in p.stdout


def test_discovery_from_one_admin_url(cluster, table):
    """One --admin: the others come from /regionz peer admin URLs where advertised; the
    regions that are not are named in `undiscovered` (and on stderr)."""
    p = run_ctl(["status", "--json"], cluster.admin_urls[:1])
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    advertised = {q["region"] for q in cluster.regionz(0)["peers"] if q.get("admin_url")}
    found = {r["region"] for r in doc["regions"]}
    assert found == {cluster.names[0]} | advertised
    assert set(doc["undiscovered"]) == set(cluster.names[1:]) - advertised
    if doc["undiscovered"]:
        assert "no admin URL known" in p.stderr


def test_tables_json_item_count_in_every_region(cluster, table):
    doc = ctl_json(cluster, "tables")
    regions = by_region(doc["regions"])
    assert set(regions) == set(cluster.names)
    for name in cluster.names:
        t = {x["name"]: x for x in regions[name]["tables"]}[table]
        assert t["items"] == 7
        assert t["policy"]
        assert sorted(t["replicas"]) == sorted(cluster.names)
        assert t["in_sync"] is True
        assert "status" in t
    only = ctl_json(cluster, "tables", "--table", table)
    assert all([x["name"] for x in r["tables"]] == [table] for r in only["regions"])


def test_tables_human(cluster, table):
    p = ctl(cluster, "tables")
    assert p.returncode == 0, p.stderr
    lines = [l for l in p.stdout.splitlines() if table in l]
    assert len(lines) == NREGIONS
    for name in cluster.names:
        assert any(l.startswith(name) for l in lines)


def test_verify_json_reports_agreement(cluster, table):
    doc = ctl_json(cluster, "verify", "--table", table)
    assert doc["region"] == cluster.names[0]
    assert doc["table"] == table
    assert doc["agreed"] is True
    assert doc["items_repaired"] == 0
    assert {r["peer"] for r in doc["results"]} == set(cluster.names[1:])
    assert all(r["outcome"] == "equal" and r["table"] == table for r in doc["results"])
    [d] = doc["digests"]
    assert d["table"] == table and d["equal"] is True
    assert set(d["by_region"]) == set(cluster.names)
    assert len(set(d["by_region"].values())) == 1
    # Another region runs it with --region.
    other = ctl_json(cluster, "verify", "--table", table, "--region", cluster.names[2])
    assert other["region"] == cluster.names[2] and other["agreed"] is True


def test_verify_human(cluster, table):
    p = ctl(cluster, "verify", "--table", table)
    assert p.returncode == 0, p.stderr
    assert "all regions agree" in p.stdout
    for name in cluster.names:
        assert name in p.stdout


def test_conflicts_json_parses(cluster, table):
    doc = ctl_json(cluster, "conflicts")
    assert doc["table"] is None
    regions = by_region(doc["regions"])
    assert set(regions) == set(cluster.names)
    for r in regions.values():
        assert isinstance(r["total"], int) and isinstance(r["recent"], list)
    filtered = ctl_json(cluster, "conflicts", "--table", table)
    # /conflictz names each conflict's table: the filter applies.
    assert filtered["table"] == table and filtered["filtered"] is True
    assert all(c["table"] == table for r in filtered["regions"] for c in r["recent"])
    p = ctl(cluster, "conflicts")
    assert p.returncode == 0, p.stderr
    for name in cluster.names:
        assert name in p.stdout


def test_lag_follow_prints_refreshes(cluster, table):
    # Not a TTY: plain lines, one per region and peer, each with the refresh's time.
    p = ctl(cluster, "lag", "--follow", "--count", "2", "--interval", "0.2")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    links = NREGIONS * (NREGIONS - 1)
    assert len(lines) == 2 * links, p.stdout
    assert len({l.split()[0] for l in lines}) == 2  # two refresh times
    assert all("lag_ms=" in l and "connected=yes" in l for l in lines)
    for name in cluster.names:
        assert any(l.split()[1] == name for l in lines)

    p = ctl(cluster, "lag", "--follow", "--count", "2", "--interval", "0.2", "--json")
    assert p.returncode == 0, p.stderr
    docs = [json.loads(l) for l in p.stdout.splitlines()]
    assert [d["refresh"] for d in docs] == [1, 2]
    for d in docs:
        assert len(d["links"]) == links and d["unreachable"] == []
        assert all(isinstance(l["lag_ms"], int) and l["connected"] is True for l in d["links"])

    once = ctl_json(cluster, "lag")
    assert once["refresh"] == 1 and len(once["links"]) == links


def work_tasks(cluster, region: str, *args) -> list[dict]:
    doc = ctl_json(cluster, "work", *args)
    assert doc["undiscovered"] == []
    regions = by_region(doc["regions"])
    assert set(regions) == set(cluster.names)
    assert all(r["reachable"] is True and r["error"] is None for r in regions.values())
    return regions[region]["work"]


def test_work_shows_finished_anti_entropy(cluster, table):
    doc = ctl_json(cluster, "verify", "--table", table)
    assert doc["agreed"] is True
    tasks = [w for w in work_tasks(cluster, cluster.names[0], "--all")
             if w["kind"] == "anti-entropy" and w["table"] == table and w["finished"]]
    assert tasks, work_tasks(cluster, cluster.names[0], "--all")
    assert all(w["done"] == 256 and w["total"] == 256 and w["unit"] == "ranges" for w in tasks)
    assert {w["detail"] for w in tasks} <= {f"with {n}" for n in cluster.names[1:]}
    # Without --all: running tasks only.
    assert all(not w["finished"] for w in work_tasks(cluster, cluster.names[0]))
    p = ctl(cluster, "work", "--all")
    assert p.returncode == 0, p.stderr
    assert "ETA" in p.stdout and "anti-entropy" in p.stdout and table in p.stdout


def test_work_shows_index_backfill(cluster):
    name = mt.unique_name("ctlidx")
    client = cluster.clients[0]
    client.create_table(TableName=name, **mt.key_schema(("pk", "S")),
                        BillingMode="PAY_PER_REQUEST")
    mt.wait_active(client, name)
    nitems = 3000
    for start in range(0, nitems, 25):
        requests = [{"PutRequest": {"Item": {"pk": mt.S(f"k{i:05d}"), "colour": mt.S(f"c{i % 7}")}}}
                    for i in range(start, min(start + 25, nitems))]
        pending = {name: requests}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    client.update_table(
        TableName=name, AttributeDefinitions=[{"AttributeName": "colour", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by_colour", "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    deadline = time.monotonic() + 60
    while True:
        tasks = [w for w in work_tasks(cluster, cluster.names[0], "--all")
                 if w["kind"] == "index backfill" and w["table"] == name]
        if any(w["finished"] for w in tasks):
            break
        assert time.monotonic() < deadline, f"no finished index backfill: {tasks}"
        time.sleep(0.2)
    [w] = [w for w in tasks if w["finished"]]
    assert w["detail"] == "index by_colour" and w["unit"] == "items"
    assert w["done"] >= nitems and w["total"] == nitems
    # `tables` shows the running work of each table ("-" when none), and keeps it in JSON.
    doc = ctl_json(cluster, "tables", "--table", name)
    assert all(isinstance(t["work"], list) for r in doc["regions"] for t in r["tables"])
    p = ctl(cluster, "tables", "--table", name)
    assert p.returncode == 0, p.stderr
    assert "WORK" in p.stdout.splitlines()[0]


def test_work_follow_prints_refreshes(cluster, table):
    p = ctl(cluster, "work", "--count", "2", "--follow", "--interval", "0.2")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines and len({l.split()[0] for l in lines}) == 2, p.stdout  # two refresh times

    p = ctl(cluster, "work", "--all", "--follow", "--count", "2", "--interval", "0.2", "--json")
    assert p.returncode == 0, p.stderr
    docs = [json.loads(l) for l in p.stdout.splitlines()]
    assert [d["refresh"] for d in docs] == [1, 2]
    for d in docs:
        assert {r["region"] for r in d["regions"]} == set(cluster.names)
        assert all(isinstance(r["work"], list) for r in d["regions"])


def test_lag_follow_stops_on_sigint(cluster):
    cmd = [str(meridianctl_path()), "--admin", cluster.admin_urls[0], "lag", "--follow",
           "--interval", "0.2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert cluster.names[0] in out


def test_unreachable_admin_url_exits_1(cluster):
    [port] = mt.free_loopback_ports(1)
    url = f"http://127.0.0.1:{port}"
    for sub in (["status"], ["status", "--json"], ["tables"], ["verify"], ["conflicts"], ["lag"],
                ["work"]):
        p = run_ctl(sub, [url], timeout=30)
        assert p.returncode == 1, (sub, p.stdout, p.stderr)
        assert url in p.stderr and p.stdout == ""
    # One region of several unreachable: still shown, and the exit status says so.
    p = run_ctl(["status", "--json"], cluster.admin_urls + [url], timeout=30)
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert {r["region"] for r in doc["regions"] if r["reachable"]} == set(cluster.names)
    assert [r["admin_url"] for r in doc["regions"] if not r["reachable"]] == [url]
    assert doc["healthy"] is False


@pytest.mark.parametrize("args", [
    ["status", "--bogus"],
    ["--bogus", "status"],
    ["frobnicate"],
    [],
    ["lag", "--count", "-1"],
    ["lag", "--interval", "0"],
    ["work", "--count", "-1"],
    ["--timeout", "soon", "status"],
])
def test_bad_usage_exits_2(cluster, args):
    p = run_ctl(args, cluster.admin_urls[:1])
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert p.stderr.strip()


def test_help_exits_0():
    if not meridianctl_path().is_file():
        pytest.skip(f"{meridianctl_path()} not built")
    p = run_ctl(["--help"])
    assert p.returncode == 0
    for sub in ("status", "tables", "verify", "conflicts", "lag", "work"):
        assert sub in p.stdout
