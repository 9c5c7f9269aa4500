"""A 3-region Meridian cluster for replication tests (module-scoped pytest fixture).

`cluster` runs `deploy/local/cluster up --regions 3` on a free block of loopback ports in
a temp dir (nats-server supercluster + one meridiand per region, every table global),
waits until every region's /regionz shows both other regions connected, and yields a
`Cluster`:

    cluster.names[i], cluster.api_urls[i], cluster.admin_urls[i], cluster.clients[i]
    cluster.regionz(i), cluster.tablez(i), cluster.healthz(i)
    cluster.digests(table)                  -> [digest or None, per region]
    cluster.wait_converged(table, timeout)  -> every digest equal, applied vectors equal
    cluster.kill9(i), cluster.restart(i)    -> SIGKILL a meridiand / start it again

Teardown runs `cluster down --purge` and fails the module if any process it started is
still alive (it kills such leftovers first). Set MERIDIAN_KEEP_DATA=1 to keep the cluster
dir (data and logs) instead of purging it.

Used by importing the fixture into a test module: `from cluster_fixture import cluster`.
`Cluster(tmp, nregions=N, up_args=[...], base=P)` builds other shapes (tests/chaos starts
one with its gateway links through a fault-injecting proxy).
"""
from __future__ import annotations

import configparser
import contextlib
import json
import os
import random
import signal
import socket
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import boto3
import pytest

import meridian_testlib as mt

REPO_ROOT = mt.REPO_ROOT
CLUSTER_SCRIPT = REPO_ROOT / "deploy" / "local" / "cluster"
NREGIONS = 3


class ClusterError(RuntimeError):
    pass


# -- small process / port helpers ------------------------------------------------------

def _port_free(p: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_base_port(nregions: int = NREGIONS) -> int:
    """A base port whose nregions*10 block is free, below the kernel's ephemeral range
    when possible (so outgoing connections cannot take one of its ports meanwhile)."""
    lo, hi = 32768, 60999
    try:
        lo, hi = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        pass
    width = 10 * nregions
    if lo - width - 10 > 10000:
        a, b = 10000, lo - width - 10
    else:
        a, b = hi + 1, 65535 - width
    if b <= a:
        a, b = 20000, 65535 - width
    for _ in range(300):
        base = random.randrange(a // 10, b // 10) * 10
        if all(_port_free(base + k) for k in range(width)):
            return base
    raise ClusterError("no free block of loopback ports found")


def pid_alive(pid: int) -> bool:
    """True if pid is a live, non-zombie process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        state = stat[stat.rindex(")") + 2:].split()[0]
        return state not in ("Z", "X")
    except (OSError, ValueError, IndexError):
        return False


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode("utf-8", "surrogateescape") for a in raw.split(b"\0") if a]


def procs_mentioning(needle: str) -> list[tuple[int, str]]:
    """Live processes whose command line contains `needle` (our temp dir)."""
    out = []
    me = os.getpid()
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) == me:
            continue
        cmd = " ".join(cmdline(int(p.name)))
        if needle in cmd and pid_alive(int(p.name)):
            out.append((int(p.name), cmd))
    return out


def http_json(url: str, timeout: float = 3.0,
              ca_file: str | None = None) -> tuple[int, dict | None]:
    status, body = mt.http_get(url, timeout=timeout, ca_file=ca_file)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def _norm_vector(v: dict | None) -> dict[str, int]:
    return {str(k): int(s) for k, s in (v or {}).items() if int(s) != 0}


# -- the cluster -------------------------------------------------------------------------

class Cluster:
    def __init__(self, tmp: Path, nregions: int = NREGIONS, up_args=(), base: int | None = None):
        """nregions regions; up_args are extra `cluster up` options; base: a fixed base
        port (default: a free block picked at each attempt)."""
        self.tmp = tmp
        self.nregions = nregions
        self.up_args = list(up_args)
        self.fixed_base = base
        self.dir = tmp / "cluster"
        self.base: int | None = None
        self.names: list[str] = []
        self.api_urls: list[str] = []
        self.admin_urls: list[str] = []
        self.clients: list = []
        self.region_ids: list[int] = [i + 1 for i in range(self.nregions)]  # cluster: --region-id i+1
        self.started_pids: set[int] = set()
        self._argv: dict[int, list[str]] = {}
        self._cwd: dict[int, str] = {}
        self._children: list[subprocess.Popen] = []
        self.up_output = ""
        self.secure = "--secure" in self.up_args  # HTTPS, SigV4 with the cluster's admin key
        self.ca_file: str | None = None
        self.credentials: tuple[str, str] | None = None

    # -- paths
    def region_dir(self, i: int) -> Path:
        return self.dir / self.names[i]

    def data_dir(self, i: int) -> Path:
        return self.region_dir(i) / "data"

    def log_path(self, i: int) -> Path:
        return self.region_dir(i) / "meridiand.log"

    def pid_file(self, i: int) -> Path:
        return self.region_dir(i) / "meridiand.pid"

    # -- lifecycle
    def up(self, attempts: int = 4) -> None:
        last = ""
        for attempt in range(attempts):
            self.base = self.fixed_base or free_base_port(self.nregions)
            p = subprocess.run([str(CLUSTER_SCRIPT), "up", "--regions", str(self.nregions),
                                "--base-port", str(self.base), "--dir", str(self.dir),
                                "--startup-timeout", "30", *self.up_args],
                               cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=180)
            self.up_output = p.stdout + p.stderr
            if p.returncode == 0:
                self._parse_up(p.stdout)
                self._record_pids()
                return
            last = f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
            # 3: a port got taken meanwhile; 1: e.g. the binary is being relinked right now.
            # (`up` stops whatever it started when it fails.)
            if p.returncode not in (1, 3):
                break
            time.sleep(1.0 + attempt)
        raise ClusterError(f"cluster up failed: {last}")

    def _parse_up(self, out: str) -> None:
        lines = [l for l in out.splitlines() if l.strip()]
        if len(lines) != self.nregions:
            raise ClusterError(f"cluster up printed {len(lines)} lines, want {self.nregions}:\n{out}")
        for line in lines:
            name, api, admin = line.split()
            assert api.startswith("api=") and admin.startswith("admin="), line
            self.names.append(name)
            self.api_urls.append(api[len("api="):])
            self.admin_urls.append(admin[len("admin="):])
        if self.secure:
            self.ca_file = str(self.dir / "secure" / "ca.pem")
            ini = configparser.ConfigParser()
            ini.read(self.dir / "secure" / "credentials")
            self.credentials = (ini["meridian"]["aws_access_key_id"],
                                ini["meridian"]["aws_secret_access_key"])
        self.clients = [self.make_client(i) for i in range(self.nregions)]

    def make_client(self, i: int, credentials: tuple[str, str] | None = None):
        """A boto3 client of region i (signed for that region, verifying its certificate)."""
        if not self.secure:
            return mt.make_client(self.api_urls[i])
        key_id, secret = credentials or self.credentials
        return boto3.session.Session().client(
            "dynamodb", region_name=self.names[i], endpoint_url=self.api_urls[i],
            config=mt.client_config(), aws_access_key_id=key_id, aws_secret_access_key=secret,
            verify=self.ca_file)

    def _read_pid(self, f: Path) -> int | None:
        try:
            return int(f.read_text().strip())
        except (OSError, ValueError):
            return None

    def _record_pids(self) -> None:
        for name in self.names:
            for f in ("meridiand.pid", "nats.pid"):
                pid = self._read_pid(self.dir / name / f)
                if pid:
                    self.started_pids.add(pid)

    def meridiand_pid(self, i: int) -> int | None:
        pid = self._read_pid(self.pid_file(i))
        if pid and pid_alive(pid) and str(self.data_dir(i)) in " ".join(cmdline(pid)):
            return pid
        return None

    def down(self) -> list[str]:
        """Stops everything (cluster down --purge) and returns a list of problems."""
        problems = []
        if (self.dir / "cluster.env").exists():
            keep = bool(os.environ.get("MERIDIAN_KEEP_DATA"))
            args = [str(CLUSTER_SCRIPT), "down", "--dir", str(self.dir), "--timeout", "10"]
            if not keep:
                args.append("--purge")
            try:
                p = subprocess.run(args, cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                                   capture_output=True, text=True, timeout=120)
                if p.returncode != 0:
                    problems.append(f"cluster down exited {p.returncode}: {p.stderr.strip()}")
            except subprocess.TimeoutExpired:
                problems.append("cluster down timed out")
        for child in self._children:  # reap the meridiands restart() started
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        left = [pid for pid in self.started_pids if pid_alive(pid)]
        extra = procs_mentioning(str(self.tmp) + "/")
        if left or extra:
            problems.append(f"processes left after cluster down: pids {sorted(left)} {extra}")
            for pid in set(left) | {p for p, _ in extra}:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            for child in self._children:
                try:
                    child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        if os.environ.get("MERIDIAN_KEEP_DATA"):
            print(f"\ncluster_fixture: kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return problems

    # -- status endpoints
    def admin(self, i: int, path: str) -> dict:
        status, body = http_json(self.admin_urls[i] + path, ca_file=self.ca_file)
        if body is None:
            raise ClusterError(f"{self.names[i]} {path}: HTTP {status}, not JSON")
        return body

    def regionz(self, i: int) -> dict:
        return self.admin(i, "/regionz")

    def tablez(self, i: int) -> dict:
        return self.admin(i, "/tablez")

    def healthz(self, i: int) -> tuple[int, dict | None]:
        try:
            return http_json(self.admin_urls[i] + "/healthz", timeout=2.0, ca_file=self.ca_file)
        except OSError:
            return 0, None

    def table_stats(self, i: int, table: str) -> dict | None:
        for t in self.tablez(i).get("tables", []):
            if t.get("name") == table:
                return t
        return None

    def digests(self, table: str) -> list[str | None]:
        out = []
        for i in range(self.nregions):
            t = self.table_stats(i, table)
            out.append(t.get("digest") if t else None)
        return out

    def peers_connected(self, i: int) -> int:
        try:
            rz = self.regionz(i)
        except (OSError, ClusterError):
            return 0
        return sum(1 for p in rz.get("peers", []) if p.get("connected"))

    def wait_peers(self, timeout: float = 30.0, regions=None) -> None:
        regions = range(self.nregions) if regions is None else regions
        deadline = time.monotonic() + timeout
        while True:
            counts = {self.names[i]: self.peers_connected(i) for i in regions}
            if all(c == self.nregions - 1 for c in counts.values()):
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"peers not all connected after {timeout}s: {counts}")
            time.sleep(0.1)

    def convergence_state(self, table: str | None) -> tuple[bool, str]:
        """(converged?, description) for one snapshot of every region."""
        rzs, why = [], []
        for i in range(self.nregions):
            try:
                rzs.append(self.regionz(i))
            except (OSError, ClusterError) as e:
                return False, f"{self.names[i]} /regionz: {e}"
        vectors = [_norm_vector(rz.get("applied")) for rz in rzs]
        for i, rz in enumerate(rzs):
            own = vectors[i].get(str(self.region_ids[i]), 0)
            if own != int(rz.get("head_seq", 0)):
                why.append(f"{self.names[i]} applied[self]={own} != head_seq={rz.get('head_seq')}")
        if any(v != vectors[0] for v in vectors[1:]):
            why.append("applied vectors differ: " +
                       ", ".join(f"{n}={v}" for n, v in zip(self.names, vectors)))
        for i, rz in enumerate(rzs):
            pend = [p for p in rz.get("peers", []) if p.get("pending")]
            if pend:
                why.append(f"{self.names[i]} has pending changes: {pend}")
        if table is not None:
            try:
                ds = self.digests(table)
            except (OSError, ClusterError) as e:
                return False, f"/tablez: {e}"
            if None in ds or len(set(ds)) != 1:
                why.append(f"digests of {table}: {dict(zip(self.names, ds))}")
        return (not why), "; ".join(why) or "converged"

    def wait_converged(self, table: str | None, timeout: float = 20.0) -> float:
        """Waits until every region has applied the same changes of every origin (applied
        vectors equal, each equal to the origins' heads) and, if `table` is given, its
        digests are equal everywhere. Returns the seconds it took."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        stable = 0
        while True:
            ok, why = self.convergence_state(table)
            # Two consecutive converged snapshots: guards against reading the regions
            # one after another while a change is in flight between them.
            stable = stable + 1 if ok else 0
            if stable >= 2:
                return time.monotonic() - t0
            if time.monotonic() > deadline:
                raise AssertionError(f"not converged after {timeout}s: {why}\n{self.describe()}")
            time.sleep(0.05 if ok else 0.1)

    def describe(self) -> str:
        """Current /regionz of every region and the tail of each log (for failure messages)."""
        parts = []
        for i in range(self.nregions):
            try:
                rz = json.dumps(self.regionz(i))
            except Exception as e:  # noqa: BLE001 - diagnostics only
                rz = f"<{e}>"
            parts.append(f"--- {self.names[i]} /regionz: {rz}")
            parts.append(f"--- {self.names[i]} log tail ({self.log_path(i)}):\n{self.log_tail(i, 15)}")
        return "\n".join(parts)

    def log_tail(self, i: int, lines: int = 40) -> str:
        try:
            data = self.log_path(i).read_bytes()[-64 * 1024:].decode("utf-8", "replace")
        except OSError:
            return "<no log>"
        return "\n".join(data.splitlines()[-lines:])

    # -- crash / restart
    def kill9(self, i: int) -> int:
        """SIGKILLs region i's meridiand (remembering its argv and cwd for restart())."""
        pid = self.meridiand_pid(i)
        if pid is None:
            raise ClusterError(f"{self.names[i]} meridiand is not running")
        self._argv[i] = cmdline(pid)
        self._cwd[i] = os.readlink(f"/proc/{pid}/cwd")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid_alive(pid):
            if time.monotonic() > deadline:
                raise ClusterError(f"{self.names[i]} meridiand (pid {pid}) survived SIGKILL")
            time.sleep(0.02)
        for child in self._children:  # reap it if we started it
            child.poll()
        with open(self.log_path(i), "ab") as log:
            log.write(f"\n==== cluster_fixture: SIGKILL pid {pid} at {time.time():.3f}\n".encode())
        return pid

    def restart(self, i: int, timeout: float = 30.0) -> int:
        """Starts region i's meridiand again with the argv and cwd it had when kill9() read
        them, in its own session, output appended to its log; waits for /healthz 200 and
        both peers connected. Updates the pid file so `cluster down` stops it."""
        if i not in self._argv:
            raise ClusterError(f"restart({i}) without a previous kill9({i})")
        argv, cwd = self._argv[i], self._cwd[i]
        deadline = time.monotonic() + timeout
        while True:  # the binary may be missing for a moment while someone relinks it
            try:
                log = open(self.log_path(i), "ab", buffering=0)
                log.write(f"==== cluster_fixture: restarting: {' '.join(argv)}\n".encode())
                try:
                    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
                finally:
                    log.close()
                break
            except OSError as e:  # ENOENT, ETXTBSY
                if time.monotonic() > deadline:
                    raise ClusterError(f"cannot start {argv[0]}: {e}") from e
                time.sleep(0.2)
        self._children.append(proc)
        self.started_pids.add(proc.pid)
        tmpf = self.pid_file(i).with_suffix(".pid.tmp")
        tmpf.write_text(f"{proc.pid}\n")
        os.replace(tmpf, self.pid_file(i))
        while True:
            if proc.poll() is not None:
                raise ClusterError(f"{self.names[i]} meridiand exited with {proc.returncode} after "
                                   f"restart; log tail:\n{self.log_tail(i)}")
            if self.healthz(i)[0] == 200:
                break
            if time.monotonic() > deadline:
                raise ClusterError(f"{self.names[i]} meridiand not healthy {timeout}s after "
                                   f"restart; log tail:\n{self.log_tail(i)}")
            time.sleep(0.05)
        # Fresh client: the old one's pooled connections point at the dead process.
        self.clients[i] = self.make_client(i)
        self.wait_peers(timeout=max(5.0, deadline - time.monotonic()))
        return proc.pid

    def ensure_all_up(self) -> None:
        """Restarts any meridiand a failed test left dead (so later tests still run)."""
        for i in range(self.nregions):
            if self.meridiand_pid(i) is None and i in self._argv:
                self.restart(i)


@pytest.fixture(scope="module")
def cluster():
    with started_cluster() as c:
        yield c


@contextlib.contextmanager
def started_cluster(up_args=()):
    """A running NREGIONS cluster (`cluster up` options `up_args`), torn down on exit."""
    if not mt.meridiand_path().is_file() and os.environ.get("MERIDIAN_SKIP_IF_MISSING"):
        pytest.skip(f"{mt.meridiand_path()} not built")
    if mt.IS_EXTERNAL:
        pytest.skip("replication tests need a local cluster (DYNAMODB_ENDPOINT is set)")
    tmp = Path(tempfile.mkdtemp(prefix="meridian-repl-"))
    c = Cluster(tmp, up_args=up_args)
    # SIGTERM to pytest (CI timeouts) should still tear the cluster down.
    old_term = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    try:
        signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread
        old_term = None
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
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    if problems:
        pytest.fail("cluster teardown: " + "; ".join(problems), pytrace=False)
