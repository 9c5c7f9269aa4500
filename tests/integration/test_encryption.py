"""Encryption at rest: with encryption_key_file, no file of the data directory (SST, WAL,
MANIFEST, OPTIONS, ...) holds the plaintext of a table name, a key or a value, before and
after a flush; the daemon restarts and reads everything back; another key is refused at
startup with a clear message. The same run without a key finds the plaintext, which shows
the scan would catch a leak."""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import meridian_testlib as mt
from meridian_testlib import S

pytestmark = pytest.mark.skipif(mt.IS_EXTERNAL, reason="needs private meridiand instances")


@pytest.fixture
def workdir():
    d = Path(tempfile.mkdtemp(prefix="meridian-enc-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write_key(path: Path, hex_key: str | None = None) -> Path:
    path.write_text((hex_key or secrets.token_hex(32)) + "\n")
    os.chmod(path, 0o600)
    return path


def start(workdir: Path, key_file: Path | None) -> mt.MeridianServer:
    args = ["--encryption-key-file", str(key_file)] if key_file else []
    srv = mt.MeridianServer(workdir / "data", workdir / "meridiand.log", extra_args=args)
    srv.start()
    return srv


def windows(needle: bytes, width: int = 8) -> list[bytes]:
    """Every 8-byte piece of `needle`: items are stored as packed Cap'n Proto, which keeps
    each all-nonzero 8-byte word literal but may cut a longer string at word boundaries."""
    return [needle[i:i + width] for i in range(max(1, len(needle) - width + 1))]


def files_containing(data_dir: Path, needles: list[bytes]) -> dict[str, set[int]]:
    """{relative file name: indexes of the needles it holds} over every file under data_dir."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        if path.name.startswith("LOG"):  # RocksDB's info log: options and events, no data
            continue
        blob = path.read_bytes()
        hits = {i for i, n in enumerate(needles) if any(w in blob for w in windows(n))}
        if hits:
            found[str(path.relative_to(data_dir))] = hits
    return found


def fill(client, table: str, canary: str) -> tuple[list[dict], list[bytes]]:
    """200 items whose keys and values are random (so compression keeps them literal);
    returns them and the byte strings that must not appear in any file."""
    client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        **mt.key_schema(("pk", "S")))
    mt.wait_active(client, table)
    items, needles = [], [table.encode()]
    for i in range(200):
        key, value, blob = (secrets.token_hex(12), secrets.token_hex(16), secrets.token_bytes(24))
        item = {"pk": S(f"{canary}{key}"), "secret": S(value), "blob": {"B": blob}}
        client.put_item(TableName=table, Item=item)
        items.append(item)
        if i % 20 == 7:
            needles += [key.encode(), value.encode(), blob]
    return items, needles


def read_all(client, table: str) -> list[dict]:
    return sorted(mt.full_scan(client, TableName=table, ConsistentRead=True),
                  key=lambda it: it["pk"]["S"])


def run_and_scan(workdir: Path, key_file: Path | None):
    canary = "canary" + secrets.token_hex(6)
    table = "enc-" + secrets.token_hex(5) + "-plaintexttable"
    srv = start(workdir, key_file)
    client = mt.make_client(srv.endpoint)
    items, needles = fill(client, table, canary)
    live = files_containing(workdir / "data", needles)  # the WAL holds them, no SST yet
    assert srv.stop() == 0  # a clean stop flushes the memtables into SST files
    flushed = files_containing(workdir / "data", needles)
    return canary, table, items, needles, live, flushed


def test_no_plaintext_in_any_file_and_restart_reads_it(workdir):
    key_file = write_key(workdir / "meridian.key")
    canary, table, items, needles, live, flushed = run_and_scan(workdir, key_file)
    assert live == {}, f"plaintext in data files while running: {live}"
    assert flushed == {}, f"plaintext in data files after flush: {flushed}"
    names = {p.name for p in (workdir / "data").iterdir()}
    assert any(n.endswith(".sst") for n in names), names  # the flush did write SST files

    srv = start(workdir, key_file)
    try:
        client = mt.make_client(srv.endpoint)
        assert read_all(client, table) == sorted(items, key=lambda it: it["pk"]["S"])
        got = client.get_item(TableName=table, Key={"pk": items[42]["pk"]},
                              ConsistentRead=True)["Item"]
        assert got == items[42]
        # Every item rewritten after the restart (new WAL, new SSTs): still sealed.
        for item in items:
            client.put_item(TableName=table, Item=dict(item, again=S("yes")))
    finally:
        assert srv.stop() == 0
    assert files_containing(workdir / "data", needles) == {}


def test_without_a_key_the_scan_finds_the_plaintext(workdir):
    """The control: the same writes unencrypted are visible to the same scan."""
    _, _, _, needles, live, flushed = run_and_scan(workdir, None)
    every = set(range(len(needles)))
    assert set().union(*live.values()) == every, live  # all in the WAL (name, keys, values)
    assert set().union(*flushed.values()) == every, flushed  # and in SSTs after a flush


def test_wrong_key_is_refused_clearly(workdir):
    key_file = write_key(workdir / "meridian.key")
    run_and_scan(workdir, key_file)
    other = write_key(workdir / "other.key")
    with pytest.raises(mt.ServerStartError) as failed:
        start(workdir, other)
    assert "encryption key does not match" in str(failed.value)
    # Encrypted data opened without any key fails as well, and says why.
    with pytest.raises(mt.ServerStartError) as plain:
        start(workdir, None)
    assert "exited with status" in str(plain.value)


@pytest.mark.parametrize("content", ["tooshort", "zz" * 32, ""])
def test_malformed_key_file_is_refused(workdir, content):
    bad = workdir / "bad.key"
    bad.write_text(content)
    with pytest.raises(mt.ServerStartError) as failed:
        start(workdir, bad)
    assert "must hold a 256-bit key" in str(failed.value)


def test_backups_of_an_encrypted_store_are_encrypted(workdir):
    """A backup's items go through the store's encrypting Env: none of the keys or values is in
    any file of the data directory (backups live under it), and a restore reads them back.
    (Backup metadata, such as table names in ARNs, is not encrypted: docs/backups.md.)"""
    key_file = write_key(workdir / "meridian.key")
    srv = start(workdir, key_file)
    try:
        client = mt.make_client(srv.endpoint)
        canary = "canary" + secrets.token_hex(6)
        table = "enc-" + secrets.token_hex(5) + "-backedup"
        items, needles = fill(client, table, canary)
        arn = client.create_backup(TableName=table, BackupName="enc-backup")["BackupDetails"]["BackupArn"]
        for _ in range(200):
            d = client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]
            if d["BackupStatus"] == "AVAILABLE":
                break
            time.sleep(0.05)
        assert d["BackupStatus"] == "AVAILABLE"
        backup_files = list((workdir / "data" / "backups").rglob("items.bin"))
        assert len(backup_files) == 1 and backup_files[0].stat().st_size > 200 * 40
        item_needles = needles[1:]  # keys, values and blobs (not the table name)
        assert files_containing(workdir / "data", item_needles) == {}
        restored = table + "-restored"
        client.restore_table_from_backup(TargetTableName=restored, BackupArn=arn)
        mt.wait_active(client, restored)
        assert read_all(client, restored) == sorted(items, key=lambda it: it["pk"]["S"])
    finally:
        assert srv.stop() == 0
    assert files_containing(workdir / "data", needles[1:]) == {}
