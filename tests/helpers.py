"""Small builders shared by the tests: a CEB603 file from synth specs, an inbox, a batch run, a fresh ledger
of either backend and a look at its rows."""
import contextlib
import json
import os
import random
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from click.testing import CliRunner

from processor import synth
from processor.cli import main

# The PostgreSQL ledger is tested when this names a server where the user may create databases (.ci/run
# starts one and sets it); each test gets a database of its own, dropped afterwards.
PG_URL = os.environ.get("PROCESSOR_TEST_PG_URL")
NO_PG = ("PROCESSOR_TEST_PG_URL not set: no PostgreSQL server to run the PostgreSQL ledger tests against "
         "(.ci/run starts one and sets it)")
BACKENDS = [pytest.param("sqlite", id="sqlite"),
            pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(not PG_URL, reason=NO_PG))]


def export_list(serial=1, ie="2026-08-10", mode="9610", goods=((0, 3),), with_invt=True, party=0):
    items = [synth.Item(i + 1, synth.CATALOGUE[g], Decimal(q)) for i, (g, q) in enumerate(goods)]
    ie_date = date.fromisoformat(ie)
    return synth.ExportListSpec(f"COP{ie_date:%Y%m%d}{serial:06d}",
                                synth.invt_no("3301", ie_date.year, serial) if with_invt else None,
                                ie_date, mode, synth.PARTIES[party], items)


def ceb603_text(specs, prefix=True, bom=False, extra=""):
    rng = random.Random(1)
    body = "".join(synth.inventory_xml(s, rng) for s in specs) + extra
    text = synth._envelope("CEB603Message", [body], rng)
    if not prefix:
        text = text.replace("ceb:", "").replace('xmlns:ceb=', 'xmlns=')
    return ("\ufeff" if bom else "") + text


def run_batch(inbox: Path, out: Path, *extra, ledger: str | None = None) -> tuple[int, dict, str]:
    """A batch through the command line, creating the ledger if need be (--init); `ledger` is a --ledger URL
    (default: out/ledger.sqlite)."""
    args = ["run", "--inbox", str(inbox), "--out", str(out), "--quiet", "--init", *extra]
    if ledger is not None:
        args += ["--ledger", ledger]
    result = CliRunner().invoke(main, args)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8")) if (out / "summary.json").exists() else {}
    return result.exit_code, summary, result.output


def quarantine_rows(out: Path) -> list[dict]:
    import csv

    with open(out / "quarantine.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# -- ledgers of either backend --------------------------------------------------------------------------------
def pg_url_of(database: str) -> str:
    """PROCESSOR_TEST_PG_URL with another database name (user, password, host and options kept)."""
    parts = urlsplit(PG_URL)
    return urlunsplit(parts._replace(path="/" + database))


@contextlib.contextmanager
def pg_database(create_options: str = ""):
    """A new, empty PostgreSQL database on the test server; dropped on exit, whoever is still connected."""
    import psycopg

    name = "ledger_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} {create_options}")
    try:
        yield pg_url_of(name)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def fresh_ledger(backend: str, directory: Path):
    """The URL of a new, empty ledger: a SQLite file in `directory`, or a PostgreSQL database of its own."""
    if backend == "sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{(directory / ('ledger-' + uuid.uuid4().hex[:8] + '.sqlite')).resolve()}"
    elif backend == "postgresql":
        if not PG_URL:
            pytest.skip(NO_PG)
        with pg_database() as url:
            yield url
    else:
        raise ValueError(backend)


def rows_kept_are_the_rows(url: str) -> dict:
    """The rows kept for each record table (summary.json's ledger_totals, Bookkeeping.counted) are the rows it has,
    and every record table is kept once a batch has committed; returns them."""
    kept = {name.split(":", 1)[1]: int(v) for name, v in
            ledger_rows(url, "SELECT name, value FROM ledger_meta WHERE name LIKE ?", "rows_in_force:%")}
    if ledger_rows(url, "SELECT COUNT(*) FROM batch_summaries")[0][0]:
        assert len(kept) == 9, kept
    assert kept == {t: ledger_rows(url, f"SELECT COUNT(*) FROM {t}")[0][0] for t in kept}
    return kept


def ledger_rows(url: str, sql: str, *params) -> list[tuple]:
    """The rows of a query on the ledger at `url`, through the ledger's own API (`?` markers, either backend)."""
    from processor.ledger import open_ledger

    ledger = open_ledger(url)
    try:
        return [tuple(r) for r in ledger.query(sql, params)]
    finally:
        ledger.close()
