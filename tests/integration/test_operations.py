"""Operating a 3-region cluster: Prometheus metrics (GET /metrics, scraped by Debian's real
`prometheus` server and queried back through its HTTP API), the deploy/prometheus config and
alert rules (promtool), the live dashboard (loaded in headless Chromium: DOM and screenshot)
and the admin API's answers to bad requests."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

import meridian_testlib as mt
from cluster_fixture import NREGIONS, cluster  # noqa: F401  (pytest fixture)

REPO = mt.REPO_ROOT
TABLE = "ops_orders"
ITEMS = 5


def fetch(url: str, method: str = "GET", timeout: float = 5.0) -> tuple[int, str, dict]:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def metric_values(text: str, name: str) -> dict[str, float]:
    """{label text: value} of every sample of `name` in a Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            labels, _, value = line.rpartition(" ")
            out[labels[len(name):]] = float(value)
    return out


@pytest.fixture(scope="module")
def loaded(cluster):  # noqa: F811
    c = cluster.clients[0]
    c.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST", **mt.key_schema(("pk", "S")))
    mt.wait_active(c, TABLE)
    for i in range(ITEMS):
        c.put_item(TableName=TABLE, Item={"pk": mt.S(f"k{i}"), "v": mt.S("x" * 100)})
    c.get_item(TableName=TABLE, Key={"pk": mt.S("k0")})
    with pytest.raises(Exception):
        c.put_item(TableName=TABLE, Item={"pk": mt.S("k0")},
                   ConditionExpression="attribute_not_exists(pk)")
    cluster.wait_converged(TABLE, 30)
    return cluster


def test_metrics_count_requests_capacity_and_replication(loaded):
    status, text, headers = fetch(loaded.admin_urls[0] + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    puts = metric_values(text, "meridian_requests_total")
    assert puts[f'{{operation="PutItem",table="{TABLE}"}}'] == ITEMS + 1
    errors = metric_values(text, "meridian_errors_total")
    assert errors[f'{{operation="PutItem",table="{TABLE}",type="ConditionalCheckFailedException"}}'] == 1
    latency = metric_values(text, "meridian_successful_request_latency_seconds_count")
    assert latency[f'{{operation="PutItem",table="{TABLE}"}}'] == ITEMS
    assert metric_values(text, "meridian_consumed_write_capacity_units_total")[
        f'{{table="{TABLE}"}}'] == ITEMS  # 100-byte items: 1 WCU each
    assert metric_values(text, "meridian_consumed_read_capacity_units_total")[
        f'{{table="{TABLE}"}}'] == 0.5  # one eventually consistent read
    assert metric_values(text, "meridian_throttled_requests_total")[
        f'{{operation="PutItem",table="{TABLE}"}}'] == 0
    # Another region: the replicated items, its peers, its apply counter.
    _, text2, _ = fetch(loaded.admin_urls[1] + "/metrics")
    assert metric_values(text2, "meridian_table_items")[f'{{table="{TABLE}"}}'] == ITEMS
    peers = metric_values(text2, "meridian_peer_connected")
    assert sorted(peers) == sorted(f'{{peer="{n}"}}' for n in loaded.names if n != loaded.names[1])
    assert all(v == 1 for v in peers.values())
    assert set(metric_values(text2, "meridian_replication_latency_seconds")) == set(peers)
    assert set(metric_values(text2, "meridian_pending_replication_count")) == set(peers)
    assert metric_values(text2, "meridian_replication_changes_applied_total")[""] >= ITEMS
    assert set(metric_values(text2, "meridian_conflicts_total")) == {'{policy="lww"}', '{policy="merge"}'}
    assert metric_values(text2, "meridian_rocksdb_memtable_bytes")[""] > 0
    # The replicated items passed through the item cache; both caches stay within their bounds.
    assert 0 < metric_values(text2, "meridian_item_cache_bytes")[""] <= 256 << 20
    assert 0 <= metric_values(text2, "meridian_rocksdb_block_cache_bytes")[""] <= 128 << 20
    assert metric_values(text2, "meridian_rocksdb_table_readers_bytes")[""] >= 0


def test_prometheus_config_and_alert_rules_check(tmp_path):
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian package prometheus) is required"
    for args in (["check", "config", str(REPO / "deploy/prometheus/prometheus.yml")],
                 ["check", "rules", str(REPO / "deploy/prometheus/alerts.yml")]):
        r = subprocess.run([promtool, *args], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    broken = tmp_path / "alerts.yml"
    broken.write_text((REPO / "deploy/prometheus/alerts.yml").read_text().replace(
        "meridian_peer_connected == 0", "meridian_peer_connected == == 0"))
    r = subprocess.run([promtool, "check", "rules", str(broken)], capture_output=True, text=True)
    assert r.returncode != 0  # the check can fail


def test_real_prometheus_scrapes_the_cluster_and_answers_queries(loaded, tmp_path):
    binary = shutil.which("prometheus")
    assert binary, "prometheus (Debian package) is required"
    port = mt.free_loopback_ports(1)[0]
    targets = [u.removeprefix("http://") for u in loaded.admin_urls]
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps({  # YAML is a superset of JSON
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(REPO / "deploy/prometheus/alerts.yml")],
        "scrape_configs": [{"job_name": "meridian", "metrics_path": "/metrics",
                            "static_configs": [{"targets": [t], "labels": {"region": n}}
                                               for t, n in zip(targets, loaded.names)]}]}))
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "w"))
    try:
        def query(expr: str) -> list:
            url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
            try:
                status, body, _ = fetch(url)
            except (urllib.error.URLError, ConnectionError):
                return []  # not listening yet
            if status != 200:
                return []
            return json.loads(body)["data"]["result"]

        deadline = time.time() + 60
        puts, lag = [], []
        while time.time() < deadline:
            puts = query(f'meridian_requests_total{{operation="PutItem",table="{TABLE}"}}')
            lag = query("meridian_replication_latency_seconds")
            up = query('up{job="meridian"} == 1')
            if puts and len(lag) == NREGIONS * (NREGIONS - 1) and len(up) == NREGIONS:
                break
            time.sleep(0.5)
        assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()[-2000:]
        assert [float(s["value"][1]) for s in puts] == [ITEMS + 1]
        assert puts[0]["metric"]["region"] == loaded.names[0]
        assert len(lag) == NREGIONS * (NREGIONS - 1), lag
        assert {s["metric"]["region"] for s in lag} == set(loaded.names)
        # The alert rules load and evaluate: none fires on a healthy cluster.
        status, body, _ = fetch(f"http://127.0.0.1:{port}/api/v1/rules")
        groups = json.loads(body)["data"]["groups"]
        assert sum(len(g["rules"]) for g in groups) >= 5
        assert all(r["state"] == "inactive" for g in groups for r in g["rules"])
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_dashboard_shows_live_figures_in_headless_chromium(loaded, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "chromium (Debian package) is required"
    url = loaded.admin_urls[0] + "/dashboard"
    status, html, headers = fetch(url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "<script" in html and "http" not in html.split("<script", 1)[1].split("fetch(")[0]
    flags = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True,
                         timeout=120).stdout
    # Every region with a working link, the table with its items in every region and the
    # digests agreeing, and one lag series per link in the chart.
    for name in loaded.names:
        assert f"<td>{name}</td>" in dom
    assert dom.count('<span class="ok">yes</span>') == NREGIONS * (NREGIONS - 1)
    expected_items = ", ".join(f"{n}: {ITEMS}" for n in loaded.names)
    row = dom.split(f"<td>{TABLE}</td>", 1)[1].split("</tr>", 1)[0]
    assert f"<td>{expected_items}</td>" in row and "agree (" in row
    assert dom.count("data-series=") == NREGIONS * (NREGIONS - 1)
    assert 'data-ticks="' in dom
    # The chart starts with the samples the regions kept before the page opened (/lagz).
    lagz = json.loads(fetch(loaded.admin_urls[1] + "/lagz")[1])
    assert sorted(lagz["peers"]) == sorted(n for n in loaded.names if n != loaded.names[1])
    assert all(len(points) >= 1 and len(points[0]) == 3 for points in lagz["peers"].values())
    seeded = int(dom.split('id="history-note">', 1)[1].split(" samples", 1)[0])
    assert seeded >= NREGIONS * (NREGIONS - 1)
    shot = tmp_path / "dashboard.png"
    subprocess.run([*flags, "--window-size=1200,1100", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120, check=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_regions_advertise_their_admin_urls(cluster):  # noqa: F811
    for i, admin in enumerate(cluster.admin_urls):
        regionz = cluster.regionz(i)
        assert regionz["admin_url"] == admin
        peers = {p["region"]: p["admin_url"] for p in regionz["peers"]}
        assert peers == {n: u for n, u in zip(cluster.names, cluster.admin_urls) if u != admin}


def test_admin_api_refuses_bad_requests_with_json(loaded):
    cluster = loaded
    admin = cluster.admin_urls[0]
    for path in ("/tablez?x=1", "/metrics?format=json", "/regionz?a=1&a=2"):
        status, body, _ = fetch(admin + path)
        assert status == 400, path
        assert "error" in json.loads(body)
    status, body, _ = fetch(admin + "/verify?force=maybe", method="POST")
    assert status == 400 and "force" in json.loads(body)["error"]
    status, body, _ = fetch(admin + "/verify?nope=1", method="POST")
    assert status == 400
    status, body, _ = fetch(admin + "/tablez", method="POST")
    assert status == 405 and json.loads(body)["error"] == "method not allowed"
    status, body, headers = fetch(admin + f"/verify?table={TABLE}", method="POST")
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    # The comparisons it ran are on the progress board: 256 hash ranges per peer.
    work = [w for w in cluster.tablez(0)["work"]
            if w["kind"] == "anti-entropy" and w["table"] == TABLE]
    assert len(work) >= NREGIONS - 1
    assert all(w["finished"] and w["done"] == w["total"] == 256 and w["unit"] == "ranges"
               for w in work), work
    status, body, _ = fetch(admin + "/no-such-page")
    assert status == 404 and "/metrics" in json.loads(body)["paths"]
