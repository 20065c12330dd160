"""What only the PostgreSQL ledger does: one batch at a time by an advisory lock, a password kept out of
every output, and decisions in code point order whatever the database's locale.

Everything else the ledger does is tested on PostgreSQL by the backend-parametrized tests of
test_ledger.py and test_batch.py (the `ledger_url` fixture). These run when PROCESSOR_TEST_PG_URL names
a server where the user may create databases (.ci/run starts one); otherwise they are skipped, saying so.
"""
import csv
import getpass
import random
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import pytest

from processor import synth

from .conftest import DEMO
from .helpers import ceb603_text, export_list, fresh_ledger, pg_database, run_batch


def test_postgres_one_batch_at_a_time(tmp_path, pg_url):
    import psycopg

    from processor.ledger.postgres import LOCK_ID

    assert run_batch(DEMO, tmp_path / "first", ledger=pg_url)[0] == 0
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_ID,))
        code, _s, output = run_batch(DEMO, tmp_path / "second", "--wait", "1", ledger=pg_url)
        holder.execute("ROLLBACK")
    assert code == 75 and "another batch is running" in output
    assert not (tmp_path / "second" / "summary.json").exists()
    # the lock released, the same batch runs
    assert run_batch(DEMO, tmp_path / "third", ledger=pg_url)[0] == 0


def test_postgres_password_is_in_no_output(tmp_path, pg_url):
    """The URL's password (the server's, or one a trust server ignores) is in no report and no log."""
    import psycopg

    parts = urlsplit(pg_url)
    password = parts.password
    if password is None:
        password = "not-a-real-secret-7f3e"
        user = parts.username or getpass.getuser()  # libpq's default user: the system's
        netloc = f"{user}:{password}@{parts.netloc.rsplit('@', 1)[-1]}"
        url = urlunsplit(parts._replace(netloc=netloc))
        try:
            psycopg.connect(url).close()
        except psycopg.OperationalError as err:
            pytest.skip(f"the test server checks passwords and PROCESSOR_TEST_PG_URL has none: {err}")
    else:
        url = pg_url
    out = tmp_path / "out"
    code, s, output = run_batch(DEMO, out, ledger=url)
    assert code == 0, output
    assert s["ledger"].startswith("postgresql://") and ":***@" in s["ledger"]
    for path in out.iterdir():
        assert password not in path.read_text(encoding="utf-8-sig"), path.name
    assert password not in output



def test_postgres_password_given_as_a_query_parameter_is_in_no_output(tmp_path, pg_url):
    """?password= (libpq reads it as well as user:password@): kept out of the reports and the log too."""
    import psycopg

    password = "not-a-real-secret-91ab"
    url = pg_url + ("&" if "?" in pg_url else "?") + f"password={password}"
    try:
        psycopg.connect(url).close()
    except psycopg.OperationalError as err:
        pytest.skip(f"the test server checks passwords: {err}")
    out = tmp_path / "out"
    code, s, output = run_batch(DEMO, out, ledger=url)
    assert code == 0, output
    assert s["ledger"].endswith("password=***")
    for path in out.iterdir():
        if path.is_file() and path.suffix != ".sqlite":
            assert password not in path.read_text(encoding="utf-8-sig"), path.name
    assert password not in output


def night_of_look_alike_returns(inbox):
    """Four returns of two units each, on the same day, against a list of three: the first in decision order
    holds two, each later one would exceed the list (QTY_EXCEEDS_EXPORT). Their coElNo differ in case and
    punctuation, where a locale's order (a-3, A4, b-1, B2) is not the code point order (A4, B2, a-3, b-1)."""
    inbox.mkdir()
    spec = export_list(70, goods=((0, 3),))
    (inbox / "l.xml").write_text(ceb603_text([spec]), encoding="utf-8")
    at = datetime(2026, 11, 2, 10, 0)
    synth.write_ceb213(inbox / "r.xml", [synth.ReturnSpec(co, spec, [(1, 2)], at) for co in ("b-1", "B2", "a-3", "A4")],
                       random.Random(4))
    return inbox


def decisions_csv(out):
    with open(out / "decisions.csv", encoding="utf-8-sig", newline="") as fh:
        return [{k: v for k, v in r.items() if k != "batch_id"} for r in csv.DictReader(fh)]


LOCALE_DATABASES = ("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'",  # PostgreSQL 15 with ICU
                    "TEMPLATE template0 LC_COLLATE 'en_US.UTF-8' LC_CTYPE 'en_US.UTF-8'")  # a libc locale


@pytest.fixture
def locale_ledger(pg_url):
    """A new database whose default collation is a locale's (en-US), not the code point order, as many
    production servers are initialised; skipped when the server can make none."""
    import psycopg

    tried = []
    for options in LOCALE_DATABASES:
        try:
            database = pg_database(options)
            url = database.__enter__()
        except psycopg.Error as err:
            tried.append(f"{options}: {str(err).strip()}")
            continue
        try:
            with psycopg.connect(url) as con:
                order = [r[0] for r in con.execute("SELECT x FROM (VALUES ('B2'), ('b-1'), ('A4'), ('a-3')) v(x) "
                                                   "ORDER BY x")]
            if order != sorted(order):
                yield url
                return
            tried.append(f"{options}: sorts by code point")
        finally:
            database.__exit__(None, None, None)
    pytest.skip("the test server can make no database whose locale sorts otherwise than by code point: "
                + "; ".join(tried))


@pytest.fixture
def look_alike_night(tmp_path):
    """The night of look-alike returns and its decisions.csv from a SQLite ledger (Python's order)."""
    inbox = night_of_look_alike_returns(tmp_path / "in")
    with fresh_ledger("sqlite", tmp_path / "sqlite") as sqlite_url:
        assert run_batch(inbox, tmp_path / "sqlite-out", ledger=sqlite_url)[0] == 0
    expected = decisions_csv(tmp_path / "sqlite-out")
    keys = [(r["return_date"], r["return_id"], int(r["gnum"])) for r in expected]
    assert keys == sorted(keys) and [k[1] for k in keys] == ["A4", "B2", "a-3", "b-1"]  # code point order
    assert [r["decision"] for r in expected] == ["PENDING", "REJECTED", "REJECTED", "REJECTED"]
    assert all("QTY_EXCEEDS_EXPORT" in r["reasons"] for r in expected[1:])
    return inbox, expected


def test_postgres_decides_in_code_point_order_whatever_the_database_locale(tmp_path, locale_ledger,
                                                                             look_alike_night):
    """Which return holds the quantity and which exceed it: the decide queue's order (COLLATE "C")."""
    inbox, expected = look_alike_night
    code, _s, output = run_batch(inbox, tmp_path / "pg-out", ledger=locale_ledger)
    assert code == 0, output
    by_line = {(r["return_id"], r["gnum"]): r for r in decisions_csv(tmp_path / "pg-out")}
    assert by_line == {(r["return_id"], r["gnum"]): r for r in expected}


def test_postgres_reports_in_code_point_order_whatever_the_database_locale(tmp_path, locale_ledger,
                                                                            look_alike_night):
    """decisions.csv in (return date, coElNo, gnum) order by code point, as on SQLite."""
    inbox, expected = look_alike_night
    code, _s, output = run_batch(inbox, tmp_path / "pg-out", ledger=locale_ledger)
    assert code == 0, output
    assert [r["return_id"] for r in decisions_csv(tmp_path / "pg-out")] == [r["return_id"] for r in expected]
