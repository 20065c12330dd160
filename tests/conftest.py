import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "ceb" / "samples-export"
DEMO = ROOT / "fixtures" / "demo"

settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def samples_dir():
    if not SAMPLES.is_dir():
        pytest.skip(f"official samples not present at {SAMPLES}")
    return SAMPLES
