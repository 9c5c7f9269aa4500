"""Checks of deploy/terraform without the terraform binary (issue 17, items 1-2).

1. Builds tests/terraform/checker (Go, HashiCorp's HCL v2 parser from Debian's
   golang-github-hashicorp-hcl-v2-dev, offline, GOPATH mode) and runs `tfcheck check` on
   deploy/terraform: it must pass, and must fail on copies with one defect injected each.
2. Renders the bootstrap template (modules/region/templates/bootstrap.sh.tftpl) with
   `tfcheck render` for 3 regions on free 127.0.0.1 ports (service_manager "none", no apt,
   meridiand from a file:// URL of a copy of build/bin/meridiand made at start), runs the
   scripts, and checks replication with boto3: a table created in region 1 with an item
   put there shows the item in regions 2 and 3. Negative: a bootstrap whose meridiand
   cannot bind its API port, and one with a bad artifact URL, must exit non-zero.

Run: /usr/bin/python3 -m pytest -q tests/terraform   (needs golang-go,
golang-github-hashicorp-hcl-v2-dev, nats-server, curl, python3-boto3 and a built meridiand).
Every process started is killed (pid files + process groups); temp dirs are removed.
"""

import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from cluster_fixture import pid_alive as alive  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
TF = DEPLOY / "terraform"
TEMPLATE = TF / "modules/region/templates/bootstrap.sh.tftpl"
MERIDIAND = REPO / "build/bin/meridiand"
GOPATH_SRC = Path("/usr/share/gocode/src")
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1"]
HOST = "127.0.0.1"
PORT_KEYS = ["client_port", "cluster_port", "gateway_port", "monitor_port", "api_port", "admin_port"]


# -- fixtures ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def work():
    d = Path(tempfile.mkdtemp(prefix="meridian-tf-test-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def tfcheck(work):
    """Builds the checker into the temp dir (not the repo)."""
    if shutil.which("go") is None:
        pytest.fail("go not found: apt-get install golang-go")
    if not (GOPATH_SRC / "github.com/hashicorp/hcl/v2/hclsyntax").is_dir():
        pytest.fail("HCL v2 sources not found: apt-get install golang-github-hashicorp-hcl-v2-dev")
    # Debian ships go-textseg v13 without its /v13 directory; GOPATH mode needs that path.
    shim = work / "gopath-shim"
    link = shim / "src/github.com/apparentlymart/go-textseg/v13"
    link.parent.mkdir(parents=True)
    link.symlink_to(GOPATH_SRC / "github.com/apparentlymart/go-textseg")
    env = dict(os.environ, GO111MODULE="off", GOPATH=f"{shim}:/usr/share/gocode", GOFLAGS="",
               GOPROXY="off", CGO_ENABLED="0")
    if not any(env.get(k) for k in ("GOCACHE", "XDG_CACHE_HOME", "HOME")):
        env["GOCACHE"] = str(work / "gocache")
    out = work / "tfcheck"
    # -p 1: a shared 2-core machine; the go build cache makes later builds fast.
    r = subprocess.run(["go", "build", "-p", "1", "-o", str(out), "."], cwd=Path(__file__).parent / "checker",
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"building the checker failed:\n{r.stdout}{r.stderr}"
    return out


@pytest.fixture(scope="session")
def meridiand_url(work):
    """file:// URL of a copy of build/bin/meridiand (the original may be rebuilt meanwhile)."""
    if not os.access(MERIDIAND, os.X_OK):
        pytest.fail(f"{MERIDIAND} not found: build it first (tools/build.sh)")
    copy = work / "artifact" / "meridiand"
    copy.parent.mkdir()
    shutil.copy2(MERIDIAND, copy)
    return copy.as_uri()


class Procs:
    """Regions started by rendered bootstraps; kill() stops all of them."""

    def __init__(self):
        self.run_dirs: list[Path] = []
        self.popens: list[subprocess.Popen] = []

    def kill(self):
        pids = []
        for d in self.run_dirs:
            for f in d.glob("*.pid"):
                try:
                    pids.append(int(f.read_text().strip()))
                except (OSError, ValueError):
                    pass
        pids += [p.pid for p in self.popens]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                for kill in (os.killpg, os.kill):  # each process is its own group leader
                    try:
                        kill(pid, sig)
                    except (ProcessLookupError, PermissionError):
                        pass
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and any(alive(p) for p in pids):
                time.sleep(0.1)
        for p in self.popens:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        left = [p for p in pids if alive(p)]
        assert not left, f"processes still alive after SIGKILL: {left}"


@pytest.fixture
def procs():
    p = Procs()
    yield p
    p.kill()


# -- helpers ----------------------------------------------------------------------

def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def region_vars(base: Path, name: str, region_id: int, ports: dict, gateways: dict, url: str) -> dict:
    d = base / name
    return dict(
        region=name, region_id=region_id, cluster_name="tftest", **ports,
        listen_address=HOST, admin_listen_address=HOST, gateways=gateways, gateway_advertise="",
        data_dir=str(d / "data"), config_dir=str(d / "config"), run_dir=str(d / "run"),
        bin_dir=str(d / "bin"), src_dir=str(d / "src"),
        meridiand_url=url, git_repo="", git_ref="main",
        apt_install=False, apt_packages=["nats-server"], service_manager="none",
        global_tables=True, threads=1, durability="wal", log_level="info", startup_timeout_s=20,
        advertise_admin_url="", security={"enabled": False, "nats_password": "", "files": {}},
        nats_unit=(DEPLOY / "systemd/meridian-nats.service").read_text(),
        meridiand_unit=(DEPLOY / "systemd/meridiand.service").read_text(),
    )


def render(tfcheck, variables: dict, out: Path) -> subprocess.CompletedProcess:
    vars_file = out.with_suffix(".json")
    vars_file.write_text(json.dumps(variables))
    return subprocess.run([str(tfcheck), "render", str(TEMPLATE), str(vars_file), str(out)],
                          capture_output=True, text=True, timeout=30)


def render_ok(tfcheck, variables: dict, out: Path) -> Path:
    r = render(tfcheck, variables, out)
    assert r.returncode == 0, r.stderr
    script = out.read_text()
    # modules/aws-host sends it gzipped (base64gzip); EC2 caps user data at 16 KiB.
    assert len(gzip.compress(script.encode())) <= 16384, "bootstrap over the 16 KiB EC2 user data limit"
    syntax = subprocess.run(["bash", "-n", str(out)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    if shutil.which("shellcheck"):  # not in tools/install-deps.sh; used when present
        lint = subprocess.run(["shellcheck", str(out)], capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout
    return out


def start(procs: Procs, script: Path, run_dir: Path) -> subprocess.Popen:
    procs.run_dirs.append(run_dir)
    p = subprocess.Popen(["bash", str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True)
    procs.popens.append(p)
    return p


def client(endpoint: str, region: str):
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=endpoint, region_name=region,
        aws_access_key_id="dummy", aws_secret_access_key="dummy",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=20))


def until(what: str, fn, timeout: float = 30.0):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            v = fn()
            if v:
                return v
        except ClientError as e:
            last = e.response["Error"]["Code"]
        time.sleep(0.1)
    raise AssertionError(f"{what} not within {timeout}s (last error: {last})")


def boot_regions(tfcheck, procs: Procs, base: Path, url: str, security: dict | None = None) -> list[dict]:
    """Renders and runs the bootstrap of every region of REGIONS on free ports (with
    security[region] as its security input when given); returns each region's ports."""
    ports = free_ports(6 * len(REGIONS))
    region_ports = [dict(zip(PORT_KEYS, ports[6 * i:6 * i + 6])) for i in range(len(REGIONS))]
    gateways = {r: [f"nats://{HOST}:{p['gateway_port']}"] for r, p in zip(REGIONS, region_ports)}
    running = []
    for i, name in enumerate(REGIONS):
        v = region_vars(base, name, i + 1, region_ports[i], gateways, url)
        if security is not None:
            v["security"] = security[name]
        (base / name).mkdir(parents=True)
        script = render_ok(tfcheck, v, base / name / "bootstrap.sh")
        running.append(start(procs, script, base / name / "run"))
    for name, p in zip(REGIONS, running):
        out, _ = p.communicate(timeout=90)
        assert p.returncode == 0, f"bootstrap of {name} failed (rc {p.returncode}):\n{out}"
        assert f"meridian-bootstrap[{name}]: up:" in out, out
    return region_ports


def put_in_first_read_in_others(clients: list, table: str, value: str) -> None:
    """Creates `table` in region 1, puts one item there, reads it back in every other region."""
    clients[0].create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    until("table ACTIVE in region 1",
          lambda: clients[0].describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE")
    clients[0].put_item(TableName=table, Item={"pk": {"S": "k1"}, "v": {"S": value}})
    for c, name in zip(clients[1:], REGIONS[1:]):
        item = until(f"item in {name}",
                     lambda c=c: c.get_item(TableName=table, Key={"pk": {"S": "k1"}},
                                            ConsistentRead=True).get("Item"))
        assert item["v"]["S"] == value


# -- static checks ----------------------------------------------------------------

def test_check_passes_on_deploy_terraform(tfcheck):
    r = subprocess.run([str(tfcheck), "check", str(TF)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    n = int(re.search(r"ok: (\d+) module", r.stdout).group(1))
    assert n == len({p.parent for p in TF.rglob("*.tf")}) and n >= 5


# (file relative to deploy/, old text, new text or None to delete the file, expected message)
DEFECTS = {
    "unknown_variable": ("terraform/aws/main.tf", "region_id           = 1",
                         "region_id           = var.does_not_exist", 'no variable "does_not_exist"'),
    "missing_templatefile_path": ("terraform/modules/region/main.tf", "templates/bootstrap.sh.tftpl",
                                  "templates/missing.sh.tftpl", "missing.sh.tftpl: no such file"),
    "missing_file_path": ("systemd/meridiand.service", None, None, "meridiand.service: no such file"),
    "unknown_local": ("terraform/local/main.tf", "local.gateways", "local.gateway_urls",
                      'no local "gateway_urls"'),
    "unknown_module_output": ("terraform/aws/outputs.tf", "module.region_r2.api_endpoint",
                              "module.region_r2.endpoint", 'declares no output "endpoint"'),
    "unknown_module_argument": ("terraform/aws/main.tf", "  git_ref             = var.git_ref\n  security            = var.secure ? module.secrets[0].security[var.regions[1]]",
                                "  git_reff            = var.git_ref\n  security            = var.secure ? module.secrets[0].security[var.regions[1]]",
                                'argument "git_reff" is not a variable'),
    "required_variable_missing": ("terraform/aws/main.tf", '  public_host         = local.ips[0]\n', "",
                                  'required variable "public_host"'),
    "template_variable_not_passed": ("terraform/modules/region/main.tf", "    log_level            = var.log_level\n",
                                     "", 'uses "log_level", which the call does not pass'),
    "undeclared_provider_alias": ("terraform/aws/main.tf", "aws = aws.r3 }", "aws = aws.r4 }",
                                  'provider "aws.r4"'),
    "unknown_object_attribute": ("terraform/local/main.tf", "    src    = ", "    source = ",
                                 'dirs has no attribute "source"'),
    "missing_module_source": ("terraform/local/main.tf", '"../modules/local-host"', '"../modules/localhost"',
                              "is not a directory with .tf files"),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_check_fails_on_injected_defect(tfcheck, work, defect):
    rel, old, new, message = DEFECTS[defect]
    copy = work / f"defect-{defect}"
    shutil.copytree(DEPLOY, copy)  # all of deploy/: file() reaches ../../../systemd
    target = copy / rel
    if old is None:
        target.unlink()
    else:
        text = target.read_text()
        assert text.count(old) == 1, f"the test's anchor text is not (once) in {rel}: {old!r}"
        target.write_text(text.replace(old, new))
    r = subprocess.run([str(tfcheck), "check", str(copy / "terraform")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode != 0, f"checker passed a copy with defect {defect}:\n{r.stdout}"
    assert message in r.stderr, r.stderr
    shutil.rmtree(copy)


def test_render_fails_on_missing_variable(tfcheck, work, meridiand_url):
    v = region_vars(work, "r", 1, dict(zip(PORT_KEYS, range(20000, 20006))), {"r": ["nats://127.0.0.1:20002"]},
                    meridiand_url)
    del v["startup_timeout_s"]
    r = render(tfcheck, v, work / "missing-var.sh")
    assert r.returncode != 0 and "startup_timeout_s" in r.stderr, r.stderr


# -- the rendered bootstrap, run ----------------------------------------------------

def test_three_regions_replicate(tfcheck, work, meridiand_url, procs):
    base = work / "cluster"
    region_ports = boot_regions(tfcheck, procs, base, meridiand_url)
    # The configs the bootstrap wrote are the ones meridiand runs with.
    toml = (base / REGIONS[0] / "config/meridiand.toml").read_text()
    assert "global_tables = true" in toml and "region_id = 1" in toml, toml
    assert "advertise_admin_url" not in toml, toml  # left out when empty

    clients = [client(f"http://{HOST}:{p['api_port']}", r) for r, p in zip(REGIONS, region_ports)]
    put_in_first_read_in_others(clients, "tf_smoke", "from-" + REGIONS[0])

    # The stop script the bootstrap wrote stops its region.
    stop = base / REGIONS[2] / "run/stop"
    pids = [int((base / REGIONS[2] / f"run/{n}.pid").read_text()) for n in ("meridiand", "nats-server")]
    subprocess.run([str(stop)], check=True, timeout=60)
    assert not any(alive(p) for p in pids)


def test_bootstrap_fails_when_api_port_is_taken(tfcheck, work, meridiand_url, procs):
    base = work / "busy"
    ports = dict(zip(PORT_KEYS, free_ports(6)))
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind((HOST, ports["api_port"]))
    holder.listen(1)
    try:
        v = region_vars(base, "solo", 1, ports, {"solo": [f"nats://{HOST}:{ports['gateway_port']}"]},
                        meridiand_url)
        (base / "solo").mkdir(parents=True)
        p = start(procs, render_ok(tfcheck, v, base / "solo/bootstrap.sh"), base / "solo/run")
        out, _ = p.communicate(timeout=60)
    finally:
        holder.close()
    assert p.returncode != 0, f"bootstrap succeeded although the API port was taken:\n{out}"
    assert "meridiand" in out and "error" in out, out
    # Its EXIT trap stopped the nats-server it had started.
    assert not list((base / "solo/run").glob("*.pid")), out


def test_bootstrap_fails_on_bad_artifact_url(tfcheck, work, procs):
    base = work / "badurl"
    ports = dict(zip(PORT_KEYS, free_ports(6)))
    v = region_vars(base, "solo", 1, ports, {"solo": [f"nats://{HOST}:{ports['gateway_port']}"]},
                    (work / "no-such-meridiand").as_uri())
    (base / "solo").mkdir(parents=True)
    p = start(procs, render_ok(tfcheck, v, base / "solo/bootstrap.sh"), base / "solo/run")
    out, _ = p.communicate(timeout=60)
    assert p.returncode != 0 and "cannot download" in out, out


def test_render_systemd_variant(tfcheck, work, meridiand_url):
    """The cloud branch (systemd, apt, git build, advertised gateway) renders to valid bash."""
    v = region_vars(Path("/var/lib/meridian"), "us-east-1", 1, dict(zip(PORT_KEYS, range(4222, 4228))),
                    {r: [f"nats://198.51.100.{i + 1}:7222"] for i, r in enumerate(REGIONS)}, "")
    v.update(service_manager="systemd", apt_install=True, apt_packages=["nats-server", "curl"],
             git_repo="https://example.com/meridian.git", git_ref="v0.1.0",
             listen_address="0.0.0.0", admin_listen_address="0.0.0.0", gateway_advertise="198.51.100.1:7222",
             advertise_admin_url="http://198.51.100.1:4227")
    script = render_ok(tfcheck, v, work / "systemd.sh").read_text()
    for want in ["apt-get install -y -qq --no-install-recommends nats-server curl",
                 "git clone --quiet \"$GIT_REPO\"", "systemctl enable meridian-nats.service meridiand.service",
                 'advertise: "198.51.100.1:7222"', 'listen = "0.0.0.0:4226"',
                 "HEALTHZ='http://127.0.0.1:4227/healthz'",
                 'advertise_admin_url = "http://198.51.100.1:4227"', "ExecStart=/usr/local/bin/meridiand --config"]:
        assert want in script, want
    assert script.count("{ name: ") == 3 and "log_file:" not in script


# -- secure mode (issue 18): the material modules/secrets makes, made here with openssl --

def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def secure_material(d: Path, regions: list[str]) -> tuple[dict, str, str]:
    """modules/secrets' output made with openssl in the same formats (SEC1 ECDSA P-256
    server keys, PKCS#8 Ed25519 peer keys, hex AES-256 keys): region -> security input,
    plus the root access key."""
    d.mkdir(parents=True)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca-key.pem", cwd=d)
    openssl("req", "-x509", "-new", "-key", "ca-key.pem", "-subj", "/CN=Meridian test CA", "-days", "2",
            "-out", "ca.pem", cwd=d)
    ext = d / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n")
    key_id, secret = "AKIATFTEST" + os.urandom(5).hex().upper(), os.urandom(20).hex()
    access_keys = f'[[access_keys]]\nid = "{key_id}"\nsecret = "{secret}"\naccount_id = "000000000000"\n'
    pubs = {}
    for r in regions:
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{r}-key.pem", cwd=d)
        openssl("req", "-new", "-key", f"{r}-key.pem", "-subj", f"/CN=meridian-{r}", "-out", f"{r}.csr", cwd=d)
        openssl("x509", "-req", "-in", f"{r}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-days", "2", "-extfile", str(ext), "-out", f"{r}.pem", cwd=d)
        openssl("genpkey", "-algorithm", "ed25519", "-out", f"{r}-peer.key", cwd=d)
        openssl("pkey", "-in", f"{r}-peer.key", "-pubout", "-out", f"{r}.pub", cwd=d)
        pubs[f"peers/{r}.pub"] = (d / f"{r}.pub").read_text()
    security = {}
    for r in regions:
        security[r] = {"enabled": True, "nats_password": os.urandom(12).hex(), "files": {
            **pubs, "ca.pem": (d / "ca.pem").read_text(), "server.pem": (d / f"{r}.pem").read_text(),
            "server-key.pem": (d / f"{r}-key.pem").read_text(), "peer.key": (d / f"{r}-peer.key").read_text(),
            "encryption.key": os.urandom(32).hex(), "access_keys.toml": access_keys}}
    return security, key_id, secret


def test_three_secure_regions_replicate(tfcheck, work, meridiand_url, procs):
    """The bootstrap with var.security on: HTTPS + SigV4, NATS mutual TLS and users,
    signed replication, encrypted data dirs; 3 regions still replicate."""
    base = work / "secure"
    security, key_id, secret = secure_material(base / "material", REGIONS)
    ca = str(base / "material/ca.pem")
    region_ports = boot_regions(tfcheck, procs, base, meridiand_url, security)
    conf = base / REGIONS[0] / "config"
    assert (conf / "meridiand.toml").stat().st_mode & 0o077 == 0
    assert (conf / "secure/server-key.pem").stat().st_mode & 0o077 == 0
    assert "peer_keys_dir" in (conf / "meridiand.toml").read_text()

    def signed(i: int, key: str = key_id, sec: str = secret):
        return boto3.session.Session().client(
            "dynamodb", endpoint_url=f"https://{HOST}:{region_ports[i]['api_port']}", region_name=REGIONS[i],
            aws_access_key_id=key, aws_secret_access_key=sec, verify=ca,
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=20))

    clients = [signed(i) for i in range(len(REGIONS))]
    put_in_first_read_in_others(clients, "tf_secure", "sealed-" + REGIONS[0])

    # A wrong secret is refused; plain HTTP and NATS without a client certificate are too.
    with pytest.raises(ClientError) as e:
        signed(1, sec="wrong" + secret[5:]).list_tables()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    with pytest.raises(Exception):
        client(f"http://{HOST}:{region_ports[1]['api_port']}", REGIONS[1]).list_tables()
    with socket.create_connection((HOST, region_ports[1]["client_port"]), timeout=5) as s:
        info = s.recv(4096).decode(errors="replace")
    assert '"tls_required":true' in info and '"auth_required":true' in info, info
    # The data directory is sealed: the item's value is in none of its files.
    for f in (base / REGIONS[1] / "data").rglob("*"):
        if f.is_file() and not f.name.startswith("LOG"):
            assert b"sealed-" not in f.read_bytes(), f
    varz = json.loads(subprocess.run(
        ["curl", "-s", "--cacert", ca, f"https://{HOST}:{region_ports[0]['admin_port']}/varz"],
        capture_output=True, text=True, timeout=10, check=True).stdout)
    auth = varz["peer_authentication"]
    assert auth["enabled"] and auth["configured_regions"] == len(REGIONS), auth
    assert not any(auth["rejected"].values()), auth
