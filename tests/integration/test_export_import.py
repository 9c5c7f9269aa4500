"""Export to S3 and import from S3 (the server's local "S3": an S3Bucket `file:///abs/dir` is
that directory): ExportTableToPointInTime in DYNAMODB_JSON and ION, DescribeExport /
ListExports, ImportTable from DYNAMODB_JSON, ION and CSV (header line, HeaderList, quoted
fields, custom delimiter, typed key attributes), DescribeImport / ListImports, malformed input
counted in ErrorCount, and the errors.

The files are checked against DynamoDB's documented layout (developer guide, "DynamoDB table
export output format" and "Amazon S3 import formats for DynamoDB"):

    <prefix>/AWSDynamoDB/<export id>/_started                  empty
    <prefix>/AWSDynamoDB/<export id>/manifest-summary.json     one JSON object
    <prefix>/AWSDynamoDB/<export id>/manifest-files.json       JSON lines: itemCount, md5Checksum,
                                                               dataFileS3Key
    <prefix>/AWSDynamoDB/<export id>/data/<name>.json.gz       lines {"Item": {...}}
    <prefix>/AWSDynamoDB/<export id>/data/<name>.ion.gz        lines `$ion_1_0 {Item:{...}}`

No Ion library is installed, so a small reader of Ion text (the subset that DynamoDB writes,
and a bit more) is included here.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import hashlib
import json
import re
import time
from pathlib import Path

import pytest

import meridian_testlib as mt
from meridian_testlib import S, N, canon
from test_backups import raw_error, snapshot, ts, wait_table_ready

pytestmark = pytest.mark.skipif(mt.IS_EXTERNAL, reason="the file:// S3 bucket is the local server's")

TIMEOUT = 60.0

# -- wire-format helpers -----------------------------------------------------------------------

_CTX = decimal.Context(prec=60)


def num(s: str) -> str:
    """A number's value as a canonical string (38 significant digits fit in prec=60)."""
    d = _CTX.normalize(decimal.Decimal(s))
    return "0" if d.is_zero() else str(d)


def wire(av):
    """boto3 AttributeValue (B as bytes) -> JSON wire form (B as base64)."""
    (t, v), = av.items()
    if t == "B":
        return {"B": base64.b64encode(v).decode()}
    if t == "BS":
        return {"BS": [base64.b64encode(x).decode() for x in v]}
    if t == "M":
        return {"M": {k: wire(x) for k, x in v.items()}}
    if t == "L":
        return {"L": [wire(x) for x in v]}
    return {t: v}


def semantic(av):
    """JSON wire AttributeValue -> a value that compares by meaning: numbers by value, sets
    unordered, binaries by their bytes."""
    (t, v), = av.items()
    if t == "N":
        return ("N", num(v))
    if t == "NS":
        return ("NS", tuple(sorted(num(x) for x in v)))
    if t == "SS":
        return ("SS", tuple(sorted(v)))
    if t == "B":
        return ("B", base64.b64decode(v))
    if t == "BS":
        return ("BS", tuple(sorted(base64.b64decode(x) for x in v)))
    if t == "M":
        return ("M", tuple(sorted((k, semantic(x)) for k, x in v.items())))
    if t == "L":
        return ("L", tuple(semantic(x) for x in v))
    return (t, v)


def semantic_item(item: dict):
    return tuple(sorted((k, semantic(v)) for k, v in item.items()))


def semantic_items(items) -> list:
    return sorted(semantic_item(it) for it in items)


# -- a reader of Ion text ------------------------------------------------------------------------

class IonValue:
    def __init__(self, kind: str, value, annotations: list[str]):
        self.kind, self.value, self.annotations = kind, value, annotations

    def __repr__(self):
        return f"IonValue({self.kind}, {self.value!r}, {self.annotations})"


class IonSyntaxError(ValueError):
    pass


_ION_NUMBER = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|(?:\d[\d_]*)?(?:\.[\d_]*)?(?:[dDeE][+-]?\d+)?)")
_ION_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_ION_ESC = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "v": "\v", "?": "?", "0": "\0",
            "'": "'", '"': '"', "/": "/", "\\": "\\"}


class IonReader:
    """Ion 1.0 text: null(.type), bool, int, decimal, float, string (short and long), symbol
    (identifier and quoted), blob, clob, list, sexp, struct, annotations, comments."""

    def __init__(self, text: str):
        self.t, self.i = text, 0

    def values(self) -> list[IonValue]:
        out = []
        while True:
            self._ws()
            if self.i >= len(self.t):
                return out
            out.append(self._value())

    def _err(self, msg):
        raise IonSyntaxError(f"{msg} at offset {self.i}: {self.t[self.i:self.i + 40]!r}")

    def _ws(self):
        t = self.t
        while self.i < len(t):
            if t[self.i] in " \t\r\n\f\v":
                self.i += 1
            elif t.startswith("//", self.i):
                j = t.find("\n", self.i)
                self.i = len(t) if j < 0 else j + 1
            elif t.startswith("/*", self.i):
                j = t.find("*/", self.i + 2)
                if j < 0:
                    self._err("unterminated comment")
                self.i = j + 2
            else:
                return

    def _string_body(self, quote: str) -> str:
        t, out = self.t, []
        while True:
            if self.i >= len(t):
                self._err("unterminated string")
            c = t[self.i]
            if t.startswith(quote, self.i):
                self.i += len(quote)
                return "".join(out)
            if c == "\\":
                e = t[self.i + 1]
                if e in _ION_ESC:
                    out.append(_ION_ESC[e])
                    self.i += 2
                elif e in "xuU":
                    n = {"x": 2, "u": 4, "U": 8}[e]
                    code = int(t[self.i + 2:self.i + 2 + n], 16)
                    self.i += 2 + n
                    if 0xD800 <= code < 0xDC00 and t.startswith("\\u", self.i):  # surrogate pair
                        low = int(t[self.i + 2:self.i + 6], 16)
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        self.i += 6
                    out.append(chr(code))
                elif e == "\n":
                    self.i += 2
                elif t.startswith("\r\n", self.i + 1):
                    self.i += 3
                else:
                    self._err("bad escape")
            else:
                if quote == '"' and c == "\n":
                    self._err("newline in a short string")
                out.append(c)
                self.i += 1

    def _symbol_or_string_token(self):
        """An identifier, 'quoted symbol', "string" or '''long string''': (kind, text) or None."""
        t = self.t
        if t.startswith("'''", self.i):
            parts = []
            while t.startswith("'''", self.i):
                self.i += 3
                parts.append(self._string_body("'''"))
                save = self.i
                self._ws()
                if not t.startswith("'''", self.i):
                    self.i = save
            return "string", "".join(parts)
        if t.startswith("'", self.i):
            self.i += 1
            return "symbol", self._string_body("'")
        if t.startswith('"', self.i):
            self.i += 1
            return "string", self._string_body('"')
        m = _ION_IDENT.match(t, self.i)
        if m:
            self.i = m.end()
            return "ident", m.group()
        return None

    def _value(self) -> IonValue:
        annotations = []
        while True:
            self._ws()
            save = self.i
            tok = self._symbol_or_string_token()
            if tok is not None and tok[0] in ("ident", "symbol"):
                self._ws()
                if self.t.startswith("::", self.i):
                    self.i += 2
                    annotations.append(tok[1])
                    continue
            self.i = save
            break
        t = self.t
        self._ws()
        if self.i >= len(t):
            self._err("value expected")
        c = t[self.i]
        if t.startswith("{{", self.i):
            self.i += 2
            self._ws()
            if t.startswith('"', self.i) or t.startswith("'''", self.i):
                kind, text = self._symbol_or_string_token()
                self._ws()
                data, kind = text.encode("latin-1"), "clob"
            else:
                j = t.find("}}", self.i)
                if j < 0:
                    self._err("unterminated blob")
                data, kind = base64.b64decode("".join(t[self.i:j].split()), validate=True), "blob"
                self.i = j
            if not t.startswith("}}", self.i):
                self._err("}} expected")
            self.i += 2
            return IonValue(kind, data, annotations)
        if c == "{":
            self.i += 1
            fields = []
            while True:
                self._ws()
                if t.startswith("}", self.i):
                    self.i += 1
                    return IonValue("struct", fields, annotations)
                tok = self._symbol_or_string_token()
                if tok is None:
                    self._err("field name expected")
                self._ws()
                if not t.startswith(":", self.i) or t.startswith("::", self.i):
                    self._err(": expected")
                self.i += 1
                fields.append((tok[1], self._value()))
                self._ws()
                if t.startswith(",", self.i):
                    self.i += 1
                elif not t.startswith("}", self.i):
                    self._err(", or } expected")
        if c in "[(":
            close = "]" if c == "[" else ")"
            self.i += 1
            items = []
            while True:
                self._ws()
                if t.startswith(close, self.i):
                    self.i += 1
                    return IonValue("list" if c == "[" else "sexp", items, annotations)
                items.append(self._value())
                self._ws()
                if c == "[" and t.startswith(",", self.i):
                    self.i += 1
                elif not t.startswith(close, self.i) and c == "[":
                    self._err(", or ] expected")
        if c in "\"'":
            kind, text = self._symbol_or_string_token()
            return IonValue(kind, text, annotations)
        if c.isdigit() or c in "-+.":
            for special, val in (("+inf", "inf"), ("-inf", "-inf")):
                if t.startswith(special, self.i):
                    self.i += len(special)
                    return IonValue("float", val, annotations)
            m = _ION_NUMBER.match(t, self.i)
            text = m.group() if m else ""
            if not text or text in "+-" or re.fullmatch(r"[-+]?\.?", text):
                self._err("number expected")
            if t[m.end():m.end() + 1] in ("-", "T", ":") and re.fullmatch(r"\d{4}", text):
                self._err("timestamps are not supported by this reader")
            self.i = m.end()
            clean = text.replace("_", "")
            if clean.lower().lstrip("+-").startswith(("0x", "0b")):
                return IonValue("int", str(int(clean, 0)), annotations)
            if "e" in clean.lower():
                return IonValue("float", clean, annotations)
            if "." in clean or "d" in clean.lower():
                return IonValue("decimal", clean.replace("d", "E").replace("D", "E"), annotations)
            return IonValue("int", clean, annotations)
        tok = self._symbol_or_string_token()
        if tok is None:
            self._err("value expected")
        kind, text = tok
        if kind == "ident":
            if text == "null":
                if t.startswith(".", self.i):
                    m = _ION_IDENT.match(t, self.i + 1)
                    if not m:
                        self._err("null.<type> expected")
                    self.i = m.end()
                return IonValue("null", None, annotations)
            if text in ("true", "false"):
                return IonValue("bool", text == "true", annotations)
            if text == "nan":
                return IonValue("float", "nan", annotations)
            kind = "symbol"
        return IonValue(kind, text, annotations)


def ion_to_av(v: IonValue) -> dict:
    """An Ion value of a DynamoDB export -> JSON wire AttributeValue (DynamoDB's mapping)."""
    ann = v.annotations[0] if v.annotations else None
    if ann in ("$dynamodb_SS", "$dynamodb_NS", "$dynamodb_BS"):
        assert v.kind == "list", v
        if ann == "$dynamodb_SS":
            return {"SS": [x.value for x in v.value]}
        if ann == "$dynamodb_NS":
            return {"NS": [x.value for x in v.value]}
        return {"BS": [base64.b64encode(x.value).decode() for x in v.value]}
    assert ann is None, f"unexpected annotation {ann}"
    if v.kind == "null":
        return {"NULL": True}
    if v.kind == "bool":
        return {"BOOL": v.value}
    if v.kind in ("int", "decimal"):
        return {"N": v.value}
    if v.kind in ("string", "symbol"):
        return {"S": v.value}
    if v.kind == "blob":
        return {"B": base64.b64encode(v.value).decode()}
    if v.kind == "list":
        return {"L": [ion_to_av(x) for x in v.value]}
    if v.kind == "struct":
        return {"M": {k: ion_to_av(x) for k, x in v.value}}
    raise AssertionError(f"Ion value with no DynamoDB type: {v}")


def test_ion_reader_self_check():
    vals = IonReader("$ion_1_0 {Item:{a:\"x\\u00e9\",'b c':101.,d:2d1,e:-0.5,f:$dynamodb_NS::[1.,2d-1],"
                     "g:{{AAE=}},h:null,i:true,j:[1,[]],k:{},'l':'''ab''' '''cd'''}}\n$ion_1_0 {Item:{}}").values()
    assert [v.kind for v in vals] == ["symbol", "struct", "symbol", "struct"]
    item = ion_to_av(dict(vals[1].value)["Item"])["M"]
    assert item == {"a": S("xé"), "b c": N("101."), "d": N("2E1"), "e": N("-0.5"), "f": {"NS": ["1.", "2E-1"]},
                    "g": {"B": "AAE="}, "h": {"NULL": True}, "i": {"BOOL": True},
                    "j": {"L": [N("1"), {"L": []}]}, "k": {"M": {}}, "l": S("abcd")}
    assert num("2E1") == num("20") == "2E+1" and num("101.") == "101"


# -- the server's "S3" --------------------------------------------------------------------------

def bucket_url(d: Path) -> str:
    return "file://" + str(d.resolve())


def resolve_key(bucket: Path, prefix: str | None, key: str) -> Path:
    """An S3 key from a manifest as a path in the bucket directory (DynamoDB's example keys
    leave out the export prefix; real ones carry it: accept both)."""
    p = bucket / key
    if p.exists() or not prefix:
        return p
    return bucket / prefix / key


def wait_export(client, arn: str, timeout: float = TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        d = client.describe_export(ExportArn=arn)["ExportDescription"]
        if d["ExportStatus"] == "COMPLETED":
            return d
        assert d["ExportStatus"] == "IN_PROGRESS", d
        if time.monotonic() > deadline:
            raise AssertionError(f"export {arn} still IN_PROGRESS after {timeout}s")
        time.sleep(0.1)


def wait_import(client, arn: str, timeout: float = TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        d = client.describe_import(ImportArn=arn)["ImportTableDescription"]
        if d["ImportStatus"] == "COMPLETED":
            return d
        assert d["ImportStatus"] == "IN_PROGRESS", d
        if time.monotonic() > deadline:
            raise AssertionError(f"import {arn} still IN_PROGRESS after {timeout}s")
        time.sleep(0.1)


def export_id(export_arn: str) -> str:
    return export_arn.split("/export/", 1)[1]


# -- the source table ------------------------------------------------------------------------

ALL_TYPES = {
    "pk": S("all-types"), "cat": S("x"),
    "s": S("text ünïcødé \"quoted\" back\\slash\ttab 😀"), "empty_s": S(""),
    "n38": N("1.2345678901234567890123456789012345678E+30"),
    "nmax": N("-9.9999999999999999999999999999999999999E+125"),
    "nmin": N("1E-130"), "nint": N("12345678901234567890123456789012345678"),
    "nfrac": N("0.12345678901234567890123456789012345678"), "zero": N("0"),
    "b": {"B": bytes(range(256))}, "empty_b": {"B": b""},
    "t": {"BOOL": True}, "f": {"BOOL": False}, "nul": {"NULL": True},
    "ss": {"SS": ["a", "b", "ü", "with space"]},
    "ns": {"NS": ["1", "-2.5", "1E+100", "12345678901234567890123456789012345678", "1E-130"]},
    "bs": {"BS": [b"\x00", b"\xff\x01", b"ion"]},
    "l": {"L": [S("x"), N("1.5"), {"M": {"k": {"BOOL": False}}}, {"L": []}, {"NULL": True},
                {"SS": ["in-list"]}, {"B": b"\x07"}]},
    "m": {"M": {"nested": {"M": {"deep": {"L": [N("-0.000001"), {"NS": ["3", "4"]}]}}},
                "empty": {"M": {}}, "bin": {"B": b"\x01\x02"}, "odd key: é/\"'": S("v")}},
}
NITEMS = 150


def plain_item(k: int) -> dict:
    return {"pk": S(f"item-{k:04d}"), "cat": S("abc"[k % 3]), "n": N(k * 1.25 if k % 2 else k),
            "s": S("v" * (k % 17))}


GSI = {"IndexName": "by_cat", "KeySchema": [{"AttributeName": "cat", "KeyType": "HASH"}],
       "Projection": {"ProjectionType": "KEYS_ONLY"}}
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "cat", "AttributeType": "S"}]
KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}]


class Source:
    pass


@pytest.fixture(scope="module")
def source(dynamodb):
    """A PITR-enabled table with every attribute type and NITEMS plain items."""
    s = Source()
    s.table = mt.unique_name("it-export-src")
    s.extra: list[str] = []
    dynamodb.create_table(TableName=s.table, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=ATTRS,
                          KeySchema=KEYS, GlobalSecondaryIndexes=[GSI])
    try:
        s.desc = wait_table_ready(dynamodb, s.table)
        dynamodb.update_continuous_backups(TableName=s.table, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        items = [ALL_TYPES] + [plain_item(k) for k in range(NITEMS)]
        for i in range(0, len(items), 25):
            out = dynamodb.batch_write_item(RequestItems={s.table: [{"PutRequest": {"Item": it}}
                                                                    for it in items[i:i + 25]]})
            assert not out.get("UnprocessedItems")
        s.count = len(items)
        s.snap = snapshot(dynamodb, s.table)
        s.gsi = gsi_view(dynamodb, s.table)
        s.t_written = time.time()
        yield s
    finally:
        for t in [s.table] + s.extra:
            mt.delete_table_quietly(dynamodb, t)


def gsi_view(client, table: str) -> dict:
    return {c: sorted(it["pk"]["S"] for it in mt.full_query(
        client, TableName=table, IndexName="by_cat", KeyConditionExpression="cat = :c",
        ExpressionAttributeValues={":c": S(c)})) for c in "abcx"}


def start_export(client, s: Source, bucket: Path, prefix: str, fmt: str, **kw) -> dict:
    return client.export_table_to_point_in_time(TableArn=s.desc["TableArn"], S3Bucket=bucket_url(bucket),
                                                S3Prefix=prefix, ExportFormat=fmt, **kw)["ExportDescription"]


def check_export_files(bucket: Path, prefix: str, desc: dict, fmt: str, count: int, table_id: str) -> list[dict]:
    """Checks the export's files against DynamoDB's layout; returns its items (JSON wire form)."""
    eid = export_id(desc["ExportArn"])
    base = bucket / prefix / "AWSDynamoDB" / eid
    assert base.is_dir(), sorted(str(p) for p in bucket.rglob("*"))
    assert (base / "_started").is_file() and (base / "_started").stat().st_size == 0

    summary = json.loads((base / "manifest-summary.json").read_text())
    assert summary["version"] == "2020-06-30"
    assert summary["exportArn"] == desc["ExportArn"]
    assert summary["tableArn"] == desc["TableArn"]
    assert summary["itemCount"] == count
    assert summary["outputFormat"] == fmt
    assert summary["s3Prefix"] == prefix
    for k in ("startTime", "endTime", "exportTime"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", summary[k]), (k, summary[k])
    files_manifest = resolve_key(bucket, prefix, summary["manifestFilesS3Key"])
    assert files_manifest == base / "manifest-files.json", summary["manifestFilesS3Key"]
    assert desc["ExportManifest"].endswith(f"AWSDynamoDB/{eid}/manifest-summary.json"), desc["ExportManifest"]

    ext = ".json.gz" if fmt == "DYNAMODB_JSON" else ".ion.gz"
    entries = [json.loads(line) for line in files_manifest.read_text().splitlines() if line.strip()]
    assert entries, "manifest-files.json lists no data file"
    items, listed = [], set()
    for e in entries:
        path = resolve_key(bucket, prefix, e["dataFileS3Key"])
        assert path.parent == base / "data" and path.name.endswith(ext), e["dataFileS3Key"]
        raw_bytes = path.read_bytes()
        assert e["md5Checksum"] == base64.b64encode(hashlib.md5(raw_bytes).digest()).decode(), e
        listed.add(path)
        text = gzip.decompress(raw_bytes).decode("utf-8")
        lines = [line for line in text.split("\n") if line.strip()]
        assert len(lines) == e["itemCount"], (e, len(lines))
        for line in lines:
            if fmt == "DYNAMODB_JSON":
                obj = json.loads(line)
                assert list(obj) == ["Item"], line[:200]
                items.append(obj["Item"])
            else:
                vals = IonReader(line).values()
                assert len(vals) == 2 and vals[0].kind == "symbol" and vals[0].value == "$ion_1_0", line[:200]
                assert vals[1].kind == "struct" and [k for k, _ in vals[1].value] == ["Item"], line[:200]
                items.append(ion_to_av(vals[1].value[0][1])["M"])
    assert sum(e["itemCount"] for e in entries) == count
    assert listed == set((base / "data").iterdir()), "data files not in the manifest"
    assert summary["tableId"] == table_id
    return items


def import_table(client, bucket: Path, key_prefix: str, fmt: str, table: str, compression="GZIP",
                 attrs=ATTRS, keys=KEYS, gsis=(GSI,), csv=None) -> dict:
    params = dict(TableName=table, AttributeDefinitions=attrs, KeySchema=keys, BillingMode="PAY_PER_REQUEST")
    if gsis:
        params["GlobalSecondaryIndexes"] = list(gsis)
    kw = {}
    if csv is not None:
        kw["InputFormatOptions"] = {"Csv": csv}
    return client.import_table(S3BucketSource={"S3Bucket": bucket_url(bucket), "S3KeyPrefix": key_prefix},
                               InputFormat=fmt, InputCompressionType=compression,
                               TableCreationParameters=params, **kw)["ImportTableDescription"]


# -- exports ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["DYNAMODB_JSON", "ION"])
def test_export_files_and_import_round_trip(fmt, source, dynamodb, tmp_path):
    s = source
    prefix = f"exports/{fmt.lower()}"
    t0 = time.time()
    d = start_export(dynamodb, s, tmp_path, prefix, fmt)
    t1 = time.time()
    assert d["ExportArn"].startswith(s.desc["TableArn"] + "/export/")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", export_id(d["ExportArn"]))
    assert d["ExportStatus"] == "IN_PROGRESS"
    assert d["TableArn"] == s.desc["TableArn"]
    assert d["ExportFormat"] == fmt
    assert d["S3Bucket"] == bucket_url(tmp_path) and d["S3Prefix"] == prefix
    assert t0 - 1 <= ts(d["StartTime"]) <= t1 + 1

    d = wait_export(dynamodb, d["ExportArn"])
    assert d["ItemCount"] == s.count
    assert t0 - 1 <= ts(d["ExportTime"]) <= t1 + 1  # no ExportTime asked: the time of the request
    assert ts(d["StartTime"]) <= ts(d["EndTime"])
    assert d["BilledSizeBytes"] >= 0

    items = check_export_files(tmp_path, prefix, d, fmt, s.count, s.desc["TableId"])
    assert semantic_items(items) == semantic_items(wire_item(it) for it in s.snap)

    # Import the export (the export's own directory: manifests and _started are skipped).
    target = mt.unique_name(f"it-import-{fmt.lower()}")
    s.extra.append(target)
    key_prefix = f"{prefix}/AWSDynamoDB/{export_id(d['ExportArn'])}/"
    t0 = time.time()
    imp = import_table(dynamodb, tmp_path, key_prefix, fmt, target)
    assert imp["ImportStatus"] == "IN_PROGRESS"
    assert re.fullmatch(re.escape(s.desc["TableArn"].rsplit("/", 1)[0]) + "/" + re.escape(target)
                        + r"/import/[A-Za-z0-9._-]+", imp["ImportArn"]), imp["ImportArn"]
    assert imp["TableArn"] == s.desc["TableArn"].rsplit("/", 1)[0] + "/" + target
    assert imp["InputFormat"] == fmt and imp["InputCompressionType"] == "GZIP"
    assert imp["S3BucketSource"]["S3Bucket"] == bucket_url(tmp_path)
    assert imp["S3BucketSource"]["S3KeyPrefix"] == key_prefix
    assert imp["TableCreationParameters"]["TableName"] == target
    # While importing, the table exists and is CREATING.
    status = dynamodb.describe_table(TableName=target)["Table"]["TableStatus"]
    assert status in ("CREATING", "ACTIVE")

    done = wait_import(dynamodb, imp["ImportArn"])
    assert done["ErrorCount"] == 0
    assert done["ImportedItemCount"] == s.count
    assert done["ProcessedItemCount"] == s.count
    assert done["ProcessedSizeBytes"] > 0
    assert t0 - 1 <= ts(done["StartTime"]) <= ts(done["EndTime"]) <= time.time() + 1
    t = wait_table_ready(dynamodb, target)
    assert t["TableArn"] == imp["TableArn"]
    assert [g["IndexName"] for g in t["GlobalSecondaryIndexes"]] == ["by_cat"]
    # Exact: every type, every digit of the 38-digit numbers.
    assert snapshot(dynamodb, target) == s.snap
    got = dynamodb.get_item(TableName=target, Key={"pk": S("all-types")})["Item"]
    assert got["n38"] == dynamodb.get_item(TableName=s.table, Key={"pk": S("all-types")})["Item"]["n38"]
    assert num(got["n38"]["N"]) == num("1.2345678901234567890123456789012345678E+30")
    assert num(got["nmax"]["N"]) == num("-9.9999999999999999999999999999999999999E+125")
    assert num(got["nmin"]["N"]) == num("1E-130")
    assert gsi_view(dynamodb, target) == s.gsi
    # Identifiers in the descriptions (last: the content checks above matter more).
    assert d["TableId"] == s.desc["TableId"]
    assert done["TableId"] == t["TableId"]


def test_export_at_an_earlier_export_time(dynamodb, tables, tmp_path):
    name = tables.create(("pk", "S"))
    dynamodb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    for k in range(10):
        dynamodb.put_item(TableName=name, Item={"pk": S(f"k{k}"), "v": N(k)})
    before = snapshot(dynamodb, name)
    time.sleep(1.2)
    T = time.time()
    time.sleep(1.2)
    dynamodb.put_item(TableName=name, Item={"pk": S("k0"), "v": S("changed")})
    dynamodb.put_item(TableName=name, Item={"pk": S("new"), "v": N(1)})
    dynamodb.delete_item(TableName=name, Key={"pk": S("k5")})
    desc = dynamodb.describe_table(TableName=name)["Table"]
    arn = desc["TableArn"]
    d = dynamodb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket_url(tmp_path), S3Prefix="at-T", ExportFormat="DYNAMODB_JSON",
        ExportTime=dt.datetime.fromtimestamp(T, tz=dt.timezone.utc))["ExportDescription"]
    d = wait_export(dynamodb, d["ExportArn"])
    assert int(T) - 1 <= ts(d["ExportTime"]) <= T + 1
    assert d["ItemCount"] == 10
    items = check_export_files(tmp_path, "at-T", d, "DYNAMODB_JSON", 10, desc["TableId"])
    assert semantic_items(items) == semantic_items(wire_item(it) for it in before)
    mt.expect_error(lambda: dynamodb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket_url(tmp_path), ExportFormat="DYNAMODB_JSON",
        ExportTime=dt.datetime.fromtimestamp(time.time() + 3600, tz=dt.timezone.utc)),
        "InvalidExportTimeException")


def test_export_client_token_is_idempotent(source, dynamodb, tmp_path):
    s = source
    a = start_export(dynamodb, s, tmp_path, "idem", "DYNAMODB_JSON", ClientToken="token-1")
    b = start_export(dynamodb, s, tmp_path, "idem", "DYNAMODB_JSON", ClientToken="token-1")
    assert a["ExportArn"] == b["ExportArn"]
    wait_export(dynamodb, a["ExportArn"])
    assert len(list((tmp_path / "idem" / "AWSDynamoDB").iterdir())) == 1


def test_export_errors(source, dynamodb, raw, tables, tmp_path):
    s = source
    plain = tables.create(("pk", "S"))
    plain_arn = dynamodb.describe_table(TableName=plain)["Table"]["TableArn"]
    body = {"TableArn": plain_arn, "S3Bucket": bucket_url(tmp_path), "ExportFormat": "DYNAMODB_JSON"}
    raw_error(raw, "ExportTableToPointInTime", body, "PointInTimeRecoveryUnavailableException")
    mt.expect_error(lambda: dynamodb.export_table_to_point_in_time(TableArn=plain_arn, S3Bucket=bucket_url(tmp_path)),
                    "PointInTimeRecoveryUnavailableException")
    missing_arn = plain_arn.rsplit("/", 1)[0] + "/" + mt.unique_name("it-nosuch")
    raw_error(raw, "ExportTableToPointInTime", dict(body, TableArn=missing_arn), "TableNotFoundException")
    raw_error(raw, "ExportTableToPointInTime", {"TableArn": s.desc["TableArn"]}, "ValidationException")
    raw_error(raw, "ExportTableToPointInTime", dict(body, TableArn=s.desc["TableArn"], ExportFormat="CSV"),
              "ValidationException")
    assert not any(tmp_path.iterdir()), "a refused export wrote files"

    fake = s.desc["TableArn"] + "/export/01700000000000-deadbeef"
    raw_error(raw, "DescribeExport", {"ExportArn": fake}, "ExportNotFoundException")
    mt.expect_error(lambda: dynamodb.describe_export(ExportArn=fake), "ExportNotFoundException")
    raw_error(raw, "ListExports", {"MaxResults": 0}, "ValidationException")
    raw_error(raw, "DescribeExport", {"ExportArn": "arn:short"}, "ValidationException")  # length 37..1024


def test_list_exports_pages(source, dynamodb, tmp_path):
    s = source
    arns = {start_export(dynamodb, s, tmp_path, f"list{k}", "ION")["ExportArn"] for k in range(2)}
    for a in arns:
        wait_export(dynamodb, a)
    seen, token, pages = [], None, 0
    while True:
        kw = {"TableArn": s.desc["TableArn"], "MaxResults": 1}
        if token:
            kw["NextToken"] = token
        page = dynamodb.list_exports(**kw)
        pages += 1
        assert len(page["ExportSummaries"]) <= 1
        for e in page["ExportSummaries"]:
            assert e["ExportStatus"] in ("IN_PROGRESS", "COMPLETED")
            seen.append(e["ExportArn"])
        token = page.get("NextToken")
        if not token:
            break
        assert pages < 50
    assert len(seen) == len(set(seen))
    assert arns <= set(seen)
    assert all(a.startswith(s.desc["TableArn"] + "/export/") for a in seen)  # only this table's
    everything = set()
    token = None
    for _ in range(100):
        page = dynamodb.list_exports(**({"NextToken": token} if token else {}))
        everything |= {e["ExportArn"] for e in page["ExportSummaries"]}
        token = page.get("NextToken")
        if not token:
            break
    assert set(seen) <= everything


# -- imports --------------------------------------------------------------------------------------

def write(path: Path, data: bytes | str, gz: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)


# Hand-written Ion as DynamoDB documents it (not produced by the server): decimals in every
# notation, sets with type annotations, blobs, quoted field names, nested structs and lists.
ION_LINES = [
    '$ion_1_0 {Item:{pk:"ion-1",cat:"a",big:1.2345678901234567890123456789012345678d30,'
    'neg:-9.9999999999999999999999999999999999999d125,tiny:1d-130,i:103.,p:6d2,z:0.,'
    'ss:$dynamodb_SS::["x","y"],ns:$dynamodb_NS::[1.,2.5,3d2],bs:$dynamodb_BS::[{{AAE=}},{{/w==}}],'
    'b:{{aGVsbG8=}},t:true,f:false,n:null,l:["s",1.5,{k:false},[]],m:{\'odd key\':"v",inner:{deep:"d"}},'
    '"quoted field":"q \\"esc\\" \\u00e9"}}',
    '$ion_1_0 {Item:{pk:"ion-2",cat:"b",text:"multi\\nline"}}',
    '$ion_1_0 {\n  Item:{\n    pk:"ion-3",\n    cat:"a",\n    Price:2d3\n  }\n}',
]
ION_EXPECTED = [
    {"pk": S("ion-1"), "cat": S("a"), "big": N("1.2345678901234567890123456789012345678E+30"),
     "neg": N("-9.9999999999999999999999999999999999999E+125"), "tiny": N("1E-130"), "i": N("103"),
     "p": N("600"), "z": N("0"), "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5", "300"]},
     "bs": {"BS": [b"\x00\x01", b"\xff"]}, "b": {"B": b"hello"}, "t": {"BOOL": True}, "f": {"BOOL": False},
     "n": {"NULL": True}, "l": {"L": [S("s"), N("1.5"), {"M": {"k": {"BOOL": False}}}, {"L": []}]},
     "m": {"M": {"odd key": S("v"), "inner": {"M": {"deep": S("d")}}}}, "quoted field": S('q "esc" é')},
    {"pk": S("ion-2"), "cat": S("b"), "text": S("multi\nline")},
    {"pk": S("ion-3"), "cat": S("a"), "Price": N("2000")},
]


def test_import_hand_written_ion(dynamodb, tables, tmp_path):
    # The last item is written over two lines... as DynamoDB's docs format it "for readability";
    # real files have one item per line: keep the file one item per line.
    lines = ION_LINES[:2] + [" ".join(ION_LINES[2].split())]
    write(tmp_path / "ion" / "part-0.ion.gz", "\n".join(lines) + "\n", gz=True)
    target = tables.name()
    d = import_table(dynamodb, tmp_path, "ion/", "ION", target)
    d = wait_import(dynamodb, d["ImportArn"])
    assert (d["ImportedItemCount"], d["ErrorCount"]) == (3, 0)
    wait_table_ready(dynamodb, target)
    got = {it["pk"]["S"]: it for it in mt.full_scan(dynamodb, TableName=target, ConsistentRead=True)}
    assert sorted(got) == ["ion-1", "ion-2", "ion-3"]
    for want in ION_EXPECTED:
        have = got[want["pk"]["S"]]
        assert semantic_item(wire_item(have)) == semantic_item(wire_item(want)), want["pk"]
    # Exact digits survive.
    assert num(got["ion-1"]["big"]["N"]) == num("1.2345678901234567890123456789012345678E+30")
    assert got["ion-1"]["big"]["N"].replace(".", "").lstrip("0").startswith("12345678901234567890123456789012345678")
    assert mt.full_query(dynamodb, TableName=target, IndexName="by_cat", KeyConditionExpression="cat = :c",
                         ExpressionAttributeValues={":c": S("a")})


def wire_item(item: dict) -> dict:
    return {k: wire(v) for k, v in item.items()}


CSV_HEADER_FILE = (
    'id,name,note,score\n'
    '1,Alice,plain,42\n'
    '007,"Smith, John","He said ""hi""",-3.5\n'
    '10,Bob,"a,b,c",1E+3\n'
    '2,"""quoted""",,0\n'
)


def test_import_csv_with_header_and_quoted_fields(dynamodb, tables, tmp_path):
    write(tmp_path / "csv1" / "people.csv", CSV_HEADER_FILE)
    target = tables.name()
    d = import_table(dynamodb, tmp_path, "csv1/", "CSV", target, compression="NONE",
                     attrs=[{"AttributeName": "id", "AttributeType": "N"}],
                     keys=[{"AttributeName": "id", "KeyType": "HASH"}], gsis=())
    assert d["InputFormat"] == "CSV"
    d = wait_import(dynamodb, d["ImportArn"])
    assert (d["ImportedItemCount"], d["ErrorCount"]) == (4, 0)
    wait_table_ready(dynamodb, target)
    got = {it["id"]["N"]: it for it in mt.full_scan(dynamodb, TableName=target, ConsistentRead=True)}
    assert sorted(got, key=float) == ["1", "2", "7", "10"]  # the key is a number: 007 is 7
    # Every other column is a string, whatever it looks like.
    assert got["1"] == {"id": N(1), "name": S("Alice"), "note": S("plain"), "score": S("42")}
    assert got["7"] == {"id": N(7), "name": S("Smith, John"), "note": S('He said "hi"'), "score": S("-3.5")}
    assert got["10"] == {"id": N(10), "name": S("Bob"), "note": S("a,b,c"), "score": S("1E+3")}
    assert got["2"]["name"] == S('"quoted"') and got["2"]["score"] == S("0")
    # Keys are queryable as numbers.
    r = dynamodb.get_item(TableName=target, Key={"id": N("7.0")}, ConsistentRead=True)
    assert r["Item"]["name"] == S("Smith, John")


def test_import_csv_header_list_and_delimiter_with_typed_index_keys(dynamodb, tables, tmp_path):
    # With HeaderList, the first line is data. Key attributes of the table and of its GSIs take
    # their AttributeDefinitions type; the rest are strings.
    lines = ["a|1|10|x", "a|2|5|semi;colon", 'b|1|7|"pipe | inside"', "c|3|10|tail"]
    write(tmp_path / "csv2" / "part1.csv.gz", "\n".join(lines[:2]) + "\n", gz=True)
    write(tmp_path / "csv2" / "part2.csv.gz", "\n".join(lines[2:]) + "\n", gz=True)
    target = tables.name()
    d = import_table(dynamodb, tmp_path, "csv2/", "CSV", target, compression="GZIP",
                     attrs=[{"AttributeName": "pk", "AttributeType": "S"},
                            {"AttributeName": "sk", "AttributeType": "N"},
                            {"AttributeName": "rank", "AttributeType": "N"}],
                     keys=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     gsis=[{"IndexName": "by_rank", "KeySchema": [{"AttributeName": "rank", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "ALL"}}],
                     csv={"Delimiter": "|", "HeaderList": ["pk", "sk", "rank", "text"]})
    assert d["InputFormatOptions"]["Csv"] == {"Delimiter": "|", "HeaderList": ["pk", "sk", "rank", "text"]}
    d = wait_import(dynamodb, d["ImportArn"])
    assert (d["ImportedItemCount"], d["ErrorCount"]) == (4, 0)
    wait_table_ready(dynamodb, target)
    assert snapshot(dynamodb, target) == [
        {"pk": S("a"), "sk": N(1), "rank": N(10), "text": S("x")},
        {"pk": S("a"), "sk": N(2), "rank": N(5), "text": S("semi;colon")},
        {"pk": S("b"), "sk": N(1), "rank": N(7), "text": S("pipe | inside")},
        {"pk": S("c"), "sk": N(3), "rank": N(10), "text": S("tail")},
    ]
    hits = mt.full_query(dynamodb, TableName=target, IndexName="by_rank", KeyConditionExpression="#r = :r",
                         ExpressionAttributeNames={"#r": "rank"}, ExpressionAttributeValues={":r": N(10)})
    assert sorted(it["pk"]["S"] for it in hits) == ["a", "c"]


def test_import_counts_malformed_lines_and_keeps_the_good_ones(dynamodb, tables, tmp_path):
    good = [{"pk": S(f"g{k}"), "cat": S("a"), "v": N(k)} for k in range(5)]
    # DynamoDB may skip the rest of an object after a malformed line: each bad line is last.
    write(tmp_path / "bad" / "a.json", "\n".join(json.dumps({"Item": it}) for it in good[:3])
          + '\n{"Item": {"pk": {"S": "broken"\n')
    write(tmp_path / "bad" / "b.json", "\n".join(json.dumps({"Item": it}) for it in good[3:])
          + '\n' + json.dumps({"Item": {"nokey": {"S": "x"}}}) + "\n")
    target = tables.name()
    d = import_table(dynamodb, tmp_path, "bad/", "DYNAMODB_JSON", target, compression="NONE")
    d = wait_import(dynamodb, d["ImportArn"])  # COMPLETED, not FAILED: bad items are counted and skipped
    assert d["ErrorCount"] == 2
    assert d["ImportedItemCount"] == 5
    assert d["ProcessedItemCount"] in (5, 7)
    wait_table_ready(dynamodb, target)
    assert snapshot(dynamodb, target) == sorted((canon(it) for it in good), key=lambda it: repr(it["pk"]))


def test_import_errors_describe_and_list(source, dynamodb, raw, tables, tmp_path):
    s = source
    write(tmp_path / "one" / "x.json", json.dumps({"Item": {"pk": S("only"), "cat": S("a")}}) + "\n")
    # Onto an existing table: ResourceInUseException, nothing imported there.
    raw_error(raw, "ImportTable", {
        "S3BucketSource": {"S3Bucket": bucket_url(tmp_path), "S3KeyPrefix": "one/"},
        "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "NONE",
        "TableCreationParameters": {"TableName": s.table, "AttributeDefinitions": ATTRS, "KeySchema": KEYS,
                                    "BillingMode": "PAY_PER_REQUEST"}}, "ResourceInUseException")
    assert snapshot(dynamodb, s.table) == s.snap
    raw_error(raw, "ImportTable", {
        "S3BucketSource": {"S3Bucket": bucket_url(tmp_path), "S3KeyPrefix": "one/"},
        "InputFormat": "XML", "TableCreationParameters": {
            "TableName": mt.unique_name("it-x"), "AttributeDefinitions": ATTRS, "KeySchema": KEYS,
            "BillingMode": "PAY_PER_REQUEST"}}, "ValidationException")
    raw_error(raw, "ImportTable", {"InputFormat": "CSV"}, "ValidationException")

    fake = s.desc["TableArn"] + "/import/01700000000000-deadbeef"
    raw_error(raw, "DescribeImport", {"ImportArn": fake}, "ImportNotFoundException")
    mt.expect_error(lambda: dynamodb.describe_import(ImportArn=fake), "ImportNotFoundException")
    raw_error(raw, "ListImports", {"PageSize": 0}, "ValidationException")
    raw_error(raw, "ListImports", {"PageSize": 26}, "ValidationException")

    # Two imports: DescribeImport, ListImports by table and paged.
    t1, t2 = tables.name(), tables.name()
    i1 = import_table(dynamodb, tmp_path, "one/", "DYNAMODB_JSON", t1, compression="NONE")
    i2 = import_table(dynamodb, tmp_path, "one/", "DYNAMODB_JSON", t2, compression="NONE", gsis=(),
                      attrs=[{"AttributeName": "pk", "AttributeType": "S"}])
    d1, d2 = wait_import(dynamodb, i1["ImportArn"]), wait_import(dynamodb, i2["ImportArn"])
    assert d1["ImportArn"] == i1["ImportArn"] and d1["TableArn"] == i1["TableArn"]
    assert d1["TableCreationParameters"]["GlobalSecondaryIndexes"][0]["IndexName"] == "by_cat"
    assert (d1["ImportedItemCount"], d2["ImportedItemCount"]) == (1, 1)
    for t in (t1, t2):
        wait_table_ready(dynamodb, t)
        assert snapshot(dynamodb, t) == [{"pk": S("only"), "cat": S("a")}]

    page = dynamodb.list_imports(TableArn=i1["TableArn"])
    assert [x["ImportArn"] for x in page["ImportSummaryList"]] == [i1["ImportArn"]]
    summary = page["ImportSummaryList"][0]
    assert summary["ImportStatus"] == "COMPLETED"
    assert summary["TableArn"] == i1["TableArn"]
    assert summary["InputFormat"] == "DYNAMODB_JSON"
    assert summary["S3BucketSource"]["S3KeyPrefix"] == "one/"
    assert ts(summary["StartTime"]) <= ts(summary["EndTime"])

    seen, token = [], None
    for _ in range(200):
        kw = {"PageSize": 1}
        if token:
            kw["NextToken"] = token
        page = dynamodb.list_imports(**kw)
        assert len(page["ImportSummaryList"]) <= 1
        seen += [x["ImportArn"] for x in page["ImportSummaryList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(seen) == len(set(seen))
    assert {i1["ImportArn"], i2["ImportArn"]} <= set(seen)
    assert d1["TableId"] == dynamodb.describe_table(TableName=t1)["Table"]["TableId"]
