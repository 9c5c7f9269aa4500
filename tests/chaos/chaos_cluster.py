"""A local Meridian cluster whose NATS gateway links run through netproxy.py.

`ChaosCluster` is tests/integration/cluster_fixture.py's `Cluster` (deploy/local/cluster
on free loopback ports in a temp dir; kill9/restart, digests, wait_converged) started with
`--gateway-proxy-base`, so that region i reaches region j's gateway through the proxy port
of the directed link "i>j". Faults:

    cut(i, j) / cut(i, j, both=False)   reset + refuse the link(s)
    blackhole(i, j)                     silently stop moving bytes
    isolate(k)                          cut every link of region k
    delay(links, lo_ms, hi_ms)          WAN-like latency per chunk
    heal()                              every link back to pass, no delay
    kill9(i) / restart(i)               from Cluster

The proxy is a child process that exits when this process does (stdin EOF,
PR_SET_PDEATHSIG); `down()` stops the proxy after the cluster.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

import cluster_fixture as cf  # noqa: E402
from netproxy import NetProxy  # noqa: E402

DEFAULT_NAMES = ["us-east-1", "eu-west-1", "ap-southeast-1", "us-west-2", "eu-central-1",
                 "ap-northeast-1"]


class ChaosCluster(cf.Cluster):
    def __init__(self, tmp: Path, nregions: int = 3, meridiand_args=(),
                 nats_ping_interval: str = "2s", seed: int | None = None):
        if nregions > len(DEFAULT_NAMES):
            raise ValueError(f"at most {len(DEFAULT_NAMES)} regions")
        self.region_names = DEFAULT_NAMES[:nregions]
        # One block: 10 ports per region, then N*N proxy ports.
        width = nregions + (nregions * nregions + 9) // 10
        base = cf.free_base_port(width)
        self.proxy_base = base + 10 * nregions
        up_args = ["--names", ",".join(self.region_names),
                   "--gateway-proxy-base", str(self.proxy_base),
                   "--nats-ping-interval", nats_ping_interval]
        if meridiand_args:
            up_args += ["--", *meridiand_args]
        super().__init__(tmp, nregions=nregions, up_args=up_args, base=base)
        self.seed = seed
        self.proxy: NetProxy | None = None
        self.fault_log: list[dict] = []

    # -- links
    def link(self, i: int, j: int) -> str:
        return f"{self.region_names[i]}>{self.region_names[j]}"

    def all_links(self) -> list[str]:
        n = self.nregions
        return [self.link(i, j) for i in range(n) for j in range(n) if i != j]

    def links_of(self, k: int) -> list[str]:
        return [l for l in self.all_links() if self.region_names[k] in l.split(">")]

    def up(self, attempts: int = 1) -> None:
        n = self.nregions
        links = {self.link(i, j): (self.proxy_base + n * i + j, self.fixed_base + 10 * j + 2)
                 for i in range(n) for j in range(n) if i != j}
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.proxy = NetProxy(links, log_path=str(self.tmp / "netproxy.log"), seed=self.seed)
        super().up(attempts=attempts)

    def down(self) -> list[str]:
        problems = super().down() if (self.dir / "cluster.env").exists() or self.started_pids \
            else []
        if self.proxy is not None:
            self.proxy.close()
            if self.proxy.proc.poll() is None:
                problems.append("netproxy still alive")
        return problems

    # -- faults (each is logged with a timestamp)
    def _note(self, what: str, **kw) -> None:
        self.fault_log.append({"t": time.time(), "fault": what, **kw})

    def cut(self, i: int, j: int, both: bool = True) -> None:
        links = [self.link(i, j)] + ([self.link(j, i)] if both else [])
        self.proxy.set(links, mode="cut")
        self._note("cut", links=links)

    def blackhole(self, i: int, j: int, both: bool = True) -> None:
        links = [self.link(i, j)] + ([self.link(j, i)] if both else [])
        self.proxy.set(links, mode="blackhole")
        self._note("blackhole", links=links)

    def isolate(self, k: int) -> None:
        links = self.links_of(k)
        self.proxy.set(links, mode="cut")
        self._note("isolate", region=self.region_names[k], links=links)

    def delay(self, links, lo_ms: float, hi_ms: float) -> None:
        links = list(links)
        self.proxy.set(links, delay_ms=[lo_ms, hi_ms])
        self._note("delay", links=links, ms=[lo_ms, hi_ms])

    def heal(self) -> None:
        self.proxy.heal_all()
        self._note("heal")

    def kill9(self, i: int) -> int:
        pid = super().kill9(i)
        self._note("kill9", region=self.region_names[i], pid=pid)
        return pid

    def restart(self, i: int, timeout: float = 30.0, wait_peers: bool = True) -> int:
        """Like Cluster.restart; with wait_peers=False it does not wait for the peers
        (which a partition may keep away)."""
        if wait_peers:
            pid = super().restart(i, timeout)
        else:
            saved = self.wait_peers
            self.wait_peers = lambda timeout=0, regions=None: None
            try:
                pid = super().restart(i, timeout)
            finally:
                self.wait_peers = saved
        self._note("restart", region=self.region_names[i], pid=pid)
        return pid

    def dead_regions(self) -> list[int]:
        return [i for i in range(self.nregions) if self.meridiand_pid(i) is None]

    # -- observation
    def gatewayz(self, i: int) -> dict:
        port = self.base + 10 * i + 3
        status, body = cf.http_json(f"http://127.0.0.1:{port}/gatewayz")
        return body or {}

    def gateways_connected(self, i: int) -> tuple[int, int]:
        gz = self.gatewayz(i)
        return len(gz.get("outbound_gateways") or {}), len(gz.get("inbound_gateways") or {})

    def wait_gateways(self, timeout: float = 30.0) -> float:
        """Waits until every nats-server has N-1 outbound and inbound gateways."""
        t0 = time.monotonic()
        want = (self.nregions - 1, self.nregions - 1)
        while True:
            got = [self.gateways_connected(i) for i in range(self.nregions)]
            if all(g == want for g in got):
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"NATS gateways not reconnected after {timeout}s: {got}")
            time.sleep(0.1)

    def peer_view(self) -> dict[str, dict[str, bool]]:
        """region -> {peer: connected} from every live region's /regionz."""
        out = {}
        for i in range(self.nregions):
            try:
                rz = self.regionz(i)
            except (OSError, cf.ClusterError):
                continue
            out[self.region_names[i]] = {p["region"]: bool(p.get("connected"))
                                         for p in rz.get("peers", [])}
        return out

    def wait_peer_state(self, i: int, peer: int, connected: bool, timeout: float = 10.0) -> bool:
        """Waits until region i's /regionz shows `peer` as (dis)connected; False on timeout."""
        deadline = time.monotonic() + timeout
        name = self.region_names[peer]
        while time.monotonic() < deadline:
            if self.peer_view().get(self.region_names[i], {}).get(name) == connected:
                return True
            time.sleep(0.1)
        return False

    def dump_state(self, path: Path) -> None:
        """Every region's /regionz and /tablez plus the fault log, for post-mortems."""
        state = {"faults": self.fault_log, "regions": {}}
        for i in range(self.nregions):
            entry = {}
            for ep in ("/regionz", "/tablez"):
                try:
                    entry[ep] = self.admin(i, ep)
                except Exception as e:  # noqa: BLE001 - diagnostics only
                    entry[ep] = f"<{e}>"
            state["regions"][self.region_names[i]] = entry
        if self.proxy is not None:
            try:
                state["proxy"] = self.proxy.stats()
            except Exception as e:  # noqa: BLE001
                state["proxy"] = f"<{e}>"
        path.write_text(json.dumps(state, indent=1))
