"""The same batches against the PostgreSQL ledger: the same decisions as SQLite, reruns, one batch at a time.

Runs when PROCESSOR_TEST_PG_URL names a server where the user may create databases (.ci/run starts
one); otherwise skipped, saying so.
"""
import csv
import os
import uuid

import pytest

from .conftest import DEMO
from .helpers import run_batch

PG_URL = os.environ.get("PROCESSOR_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="PROCESSOR_TEST_PG_URL not set: no PostgreSQL server to test")


@pytest.fixture
def pg_ledger():
    import psycopg

    name = "ledger_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    base, _, _ = PG_URL.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def lines(out):
    with open(out / "decisions.csv", encoding="utf-8-sig", newline="") as fh:
        return [{k: v for k, v in r.items() if k != "batch_id"} for r in csv.DictReader(fh)]


def test_postgres_decides_as_sqlite_and_reruns_the_same(tmp_path, pg_ledger):
    code, s_sqlite, _ = run_batch(DEMO, tmp_path / "sqlite")
    code_pg, s_pg, out = run_batch(DEMO, tmp_path / "pg", "--ledger", pg_ledger)
    assert code == code_pg == 0, out
    assert lines(tmp_path / "pg") == lines(tmp_path / "sqlite")
    assert s_pg["ledger_totals"] == s_sqlite["ledger_totals"] and s_pg["inputs"] == s_sqlite["inputs"]
    assert "***" not in pg_ledger and s_pg["ledger"].startswith("postgresql://")
    code, again, _ = run_batch(DEMO, tmp_path / "pg2", "--ledger", pg_ledger)
    assert code == 0 and lines(tmp_path / "pg2") == lines(tmp_path / "sqlite")
    assert again["decisions"]["decided_now"] == 0 and again["ledger_totals"] == s_pg["ledger_totals"]


def test_postgres_one_batch_at_a_time(tmp_path, pg_ledger):
    import psycopg

    from processor.ledger.postgres import LOCK_ID

    assert run_batch(DEMO, tmp_path / "first", "--ledger", pg_ledger)[0] == 0
    with psycopg.connect(pg_ledger, autocommit=True) as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_ID,))
        code, _s, output = run_batch(DEMO, tmp_path / "second", "--ledger", pg_ledger, "--wait", "1")
        holder.execute("ROLLBACK")
    assert code == 75 and "another batch is running" in output
