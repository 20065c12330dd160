import os
from pathlib import Path

import pytest
from hypothesis import settings

from .helpers import BACKENDS, NO_PG, PG_URL, fresh_ledger, pg_database

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "ceb" / "samples-export"
DEMO = ROOT / "fixtures" / "demo"

# report.xlsx and report.html cost a second or two a batch (matplotlib, pandas): the suite leaves them out but for
# the tests of those reports (tests/test_readable.py), which put them back
os.environ.setdefault("PROCESSOR_READABLE_REPORTS", "0")

settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def samples_dir():
    if not SAMPLES.is_dir():
        _MISSING.add(str(SAMPLES))
        pytest.skip(f"GACC's official samples are not at {SAMPLES} (../shared beside the checkout): the batch over "
                    f"real messages is NOT tested")
    return SAMPLES


_MISSING: set = set()


def pytest_terminal_summary(terminalreporter):
    """Say loudly, at the end of every run, when tests over GACC's official samples could not run."""
    for path in sorted(_MISSING):
        terminalreporter.write_sep("!", f"official samples missing at {path}: tests over real messages skipped",
                                   red=True)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each ledger backend in turn: "sqlite", then "postgresql" (skipped, saying why, without
    PROCESSOR_TEST_PG_URL)."""
    return request.param


@pytest.fixture
def ledger_url(backend, tmp_path):
    """A new, empty ledger of the test's backend: a SQLite file under tmp_path (not in a batch's --out), or a
    PostgreSQL database of its own on PROCESSOR_TEST_PG_URL's server, dropped after the test."""
    with fresh_ledger(backend, tmp_path / "ledger") as url:
        yield url


@pytest.fixture
def pg_url():
    """A new, empty PostgreSQL database, for the tests of what only the PostgreSQL ledger does."""
    if not PG_URL:
        pytest.skip(NO_PG)
    with pg_database() as url:
        yield url
