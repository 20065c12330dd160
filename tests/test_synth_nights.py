"""Consecutive synthetic nights (`processor synth --night N`, issue #16): keys unique across nights, returns
drawn from the exports of the 60 nights before, the same bytes for the same night."""
from __future__ import annotations

import re

from processor import synth

ITEMS = 2000


def _keys(folder, tag: str, files: str = "*.xml") -> set:
    return {m for f in sorted(folder.glob(files)) for m in re.findall(rf"<(?:ceb:)?{tag}>([^<]+)<", f.read_text())}


def test_keys_unique_across_nights_and_returns_from_earlier_nights(tmp_path):
    for n in (1, 2, 70):
        synth.synth_night(tmp_path / f"n{n}", ITEMS, 100, night=n)
    exported = {n: _keys(tmp_path / f"n{n}", "copNo") for n in (1, 2, 70)}
    assert not exported[1] & exported[2] and not exported[2] & exported[70]
    returned = {n: _keys(tmp_path / f"n{n}", "coElNo", "CEB213-*.xml") for n in (1, 2, 70)}
    assert not returned[1] & returned[2] and len(returned[70]) == 100
    # night 70's returns name lists of nights 10-69: their serials, (night - 1) * ITEMS + local
    nights = {(int(i[-9:]) - 1) // ITEMS + 1 for i in _keys(tmp_path / "n70", "invtNo", "CEB213-*.xml")}
    assert nights and min(nights) >= 10 and max(nights) <= 69
    # night 1 has no night before it: its returns are its own exports
    assert _keys(tmp_path / "n1", "invtNo", "CEB213-*.xml") <= _keys(tmp_path / "n1", "invtNo", "CEB603-*.xml")


def test_the_same_night_gives_the_same_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    synth.synth_night(a, 500, 20, night=5)
    synth.synth_night(b, 500, 20, night=5)
    assert [p.read_bytes() for p in sorted(a.iterdir())] == [p.read_bytes() for p in sorted(b.iterdir())]


def test_nights_a_month_apart_take_returns_from_the_six_before(tmp_path):
    """--night-days 30: a month of exports a night (the years of a ledger in a few dozen nights); returns come
    from the exports of the six nights before (180 days), whose windows are open."""
    synth.synth_night(tmp_path / "n20", ITEMS, 100, night=20, night_days=30)
    dates = {m for f in (tmp_path / "n20").glob("CEB603-*.xml") for m in re.findall(r"<ceb:ieDate>(\d+)<", f.read_text())}
    assert dates and all(d[:6] == "202711" for d in dates)  # 2026-05-01 + 19 x 30 days: 2027-11-22
    nights = {(int(i[-9:]) - 1) // ITEMS + 1 for i in _keys(tmp_path / "n20", "invtNo", "CEB213-*.xml")}
    assert nights and min(nights) >= 14 and max(nights) <= 19


def test_certificates_missing_from_a_night_come_the_next_night(tmp_path):
    """One claim in five comes without its certificate (PENDING); a claim with it replaces it the next night,
    but for one in fifty of them: the synthetic backlog stays as small as a broker's, instead of growing by a
    fifth of every night's returns for good."""
    synth.synth_night(tmp_path / "n1", ITEMS, 500, night=1)
    synth.synth_night(tmp_path / "n2", ITEMS, 500, night=2)
    first = (tmp_path / "n1" / "claims-0001.xml").read_text()
    claims = re.findall(r"<Claim>.*?</Claim>", first, re.S)
    without = {re.search(r"<coElNo>([^<]+)<", c)[1] for c in claims if "certificate" not in c}
    late = re.findall(r"<Claim>.*?</Claim>", (tmp_path / "n2" / "claims-late-0001.xml").read_text(), re.S)
    named = {re.search(r"<coElNo>([^<]+)<", c)[1] for c in late}
    assert len(without) == 100 and named < without and len(without - named) == 2
    assert all("certificate" in c for c in late)
    assert not list((tmp_path / "n1").glob("claims-late-*"))
