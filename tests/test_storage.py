"""The ledger's bytes (issue 16): trails packed against a frozen dictionary, tables stored as their keys' b-trees,
and a ledger of the release before upgraded in place with everything it held still readable."""
import hashlib
import json
import shutil
import sqlite3

from click.testing import CliRunner

from processor.cli import main
from processor.ledger import packing

from .conftest import DEMO, ROOT
from .helpers import ledger_rows, run_batch


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_trail_packs_to_a_few_hundred_bytes_and_reads_back_whole(tmp_path):
    run_batch(DEMO, tmp_path / "out")
    url = f"sqlite:///{tmp_path / 'out' / 'ledger.sqlite'}"
    stored = ledger_rows(url, "SELECT trail, citations FROM decisions")
    assert stored and all(t.startswith(packing.PREFIX) and c.startswith(packing.PREFIX) for t, c in stored)
    packed = plain = 0
    for trail, citations in stored:
        text = packing.unpack(trail)
        packed, plain = packed + len(trail), plain + len(text.encode("utf-8"))
        steps = json.loads(text)
        assert steps[0]["step"] == "export date" and steps[-1]["step"] == "decision"
        assert len(trail) * 5 < len(text.encode("utf-8")), "the dictionary no longer fits the trails"
        assert packing.pack(text) == trail  # the same text always packs the same (identity across engines)
        assert set(json.loads(packing.unpack(citations))) <= {"reasons", "announcement", "basis"}
    assert packed * 8 < plain


def test_texts_from_before_packing_read_as_they_are():
    assert packing.unpack('[{"step":"x"}]') == '[{"step":"x"}]'
    assert packing.unpack(None) is None and packing.pack(None) is None
    assert packing.unpack(packing.pack("")) == ""
    odd = "退运 \x00\u2028 z1: ✓" * 50
    assert packing.unpack(packing.pack(odd)) == odd


def test_dictionary_one_is_frozen():
    """Rows packed against dictionary 1 must read back for as long as a ledger is kept (three years at least):
    a better dictionary is trail_words_2.txt and a new prefix, never an edit of this file."""
    assert hashlib.sha256(packing.words(1)).hexdigest() == \
        "dcb6ba244d60afdee196b13fc842af31138a0cea03d96f1ffae98b7a939cd1b2"


def test_a_schema_5_ledger_is_upgraded_in_place_and_reads_as_before(tmp_path):
    """tests/data/ledger-v5-demo.sqlite: the demo night as the release before (642a34d, schema 5) wrote it. The
    next run rebuilds the tables keyed by most of their row WITHOUT ROWID, drops the journal's index by key, keeps
    every row, and `explain` still prints the trails stored unpacked; `check` finds nothing wrong."""
    from processor.ledger.base import REBUILT_IN_6, SCHEMA_VERSION

    out = tmp_path / "out"
    out.mkdir()
    db = out / "ledger.sqlite"
    shutil.copy(ROOT / "tests" / "data" / "ledger-v5-demo.sqlite", db)
    con = sqlite3.connect(db)
    before = {t: con.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in REBUILT_IN_6}
    old_trail = con.execute("SELECT trail FROM decisions WHERE co_el_no = 'BACK-20261120-0001' AND gnum = 1"
                            ).fetchone()[0]
    con.close()
    assert old_trail.startswith("[")
    explained = cli("explain", "BACK-20261120-0001", "--out", out)
    assert explained.exit_code == 0, explained.output

    code, summary, _ = run_batch(DEMO, out)  # the same night again: all duplicates, nothing decided anew
    assert code == 0
    url = f"sqlite:///{db}"
    assert ledger_rows(url, "SELECT value FROM ledger_meta WHERE name = 'schema_version'") == [(SCHEMA_VERSION,)]
    con = sqlite3.connect(db)
    for t in REBUILT_IN_6:
        after = con.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
        assert (set(before[t]) <= set(after)) if t.startswith("batch_") else after == before[t], t
        assert con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (t,)).fetchone()[0].endswith(
            "WITHOUT ROWID"), t
    assert con.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'journal_by_key'").fetchone() == (0,)
    assert con.execute("SELECT trail FROM decisions WHERE co_el_no = 'BACK-20261120-0001' AND gnum = 1 "
                       "AND version = 1").fetchone()[0] == old_trail
    con.close()
    again = cli("explain", "BACK-20261120-0001", "--out", out)
    assert again.exit_code == 0 and again.output == explained.output
    assert "export date" in again.output
    assert cli("check", "--out", out).exit_code == 0
