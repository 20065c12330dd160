"""The texts every decision cites, as dated reference data (processor/data/clauses.csv).

A row is (key, policy, valid_from, text). `key` is a reason code or a step of the decision (EXEMPTION,
WINDOW, IMPORT_VAT...); `policy` a policy version, or empty for every version; `valid_from` the first
day (of the return) the row applies to, or empty for always. `{announcement}` in a text is the
announcement of the line's policy version (policies.csv), so a line under 2026-16 cites 公告2026年第16号
and a line under 2023-34 cites No. 34 with No. 4, whose terms it extends (LAW.md, "Policy versions").
A new announcement or a new law is a new row, not a change of code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Keys cited by the steps of decide(); the reason codes are cited by their own code (rules.RULES).
STEP_KEYS = ("EXEMPTION", "EXPORT_DATE", "EXPORT_DATE_1210", "RETURN_DATE", "POLICY", "WINDOW", "CUSTOMS_VALUE",
             "TARIFF", "IMPORT_DUTY", "CONSUMPTION_TAX", "IMPORT_VAT", "EXPORT_DUTY_REFUND", "BACKPAY", "DECISION")


@dataclass(frozen=True, slots=True)
class ClauseRow:
    key: str
    policy: str  # "" for every policy version
    valid_from: date | None  # None: always
    text: str


@dataclass(frozen=True)
class Clauses:
    rows: tuple = ()
    _index: dict = field(default_factory=dict, compare=False, repr=False)
    _dated: set = field(default_factory=set, compare=False, repr=False)  # keys whose text depends on the day
    _cache: dict = field(default_factory=dict, compare=False, repr=False)  # a night cites a few hundred texts

    def __post_init__(self):
        for row in self.rows:
            self._index.setdefault((row.key, row.policy), []).append(row)
            if row.valid_from is not None:
                self._dated.add(row.key)
        for rows in self._index.values():
            rows.sort(key=lambda r: r.valid_from or date.min, reverse=True)

    def cite(self, key: str, policy: str | None, announcement: str, on: date | None = None) -> str:
        """The text for `key` under `policy` on the day `on`: a row of the policy itself before a row
        for every policy, the latest valid_from that is not after `on`."""
        memo = (key, policy, announcement, on if key in self._dated else None)
        text = self._cache.get(memo)
        if text is None:
            text = self._cache[memo] = self._find(key, policy, announcement, on)
        return text

    def texts(self, policy: str | None, announcement: str) -> dict:
        """Every key's text under `policy` that does not depend on the day: what a decision cites most."""
        memo = ("*texts*", policy, announcement)
        found = self._cache.get(memo)
        if found is None:
            keys = {row.key for row in self.rows} - self._dated
            found = self._cache[memo] = {k: self._find(k, policy, announcement, None) for k in keys
                                         if self._index.get((k, policy or "")) or self._index.get((k, ""))}
        return found

    def _find(self, key: str, policy: str | None, announcement: str, on: date | None) -> str:
        for candidates in (self._index.get((key, policy or "")), self._index.get((key, ""))):
            for row in candidates or ():
                if row.valid_from is None or on is None or row.valid_from <= on:
                    return row.text.replace("{announcement}", announcement)
        raise KeyError(f"clauses.csv has no text for {key} under policy {policy or '(none)'}"
                       + (f" on {on}" if on else ""))

    def missing(self, keys, policies) -> list[str]:
        """The (key, policy) pairs no row answers: checked when the reference data are loaded."""
        out = []
        for key in keys:
            for version in [None, *(p.version for p in policies)]:
                try:
                    self._find(key, version, "", None)
                except KeyError:
                    out.append(f"{key} under {version or 'no policy'}")
        return out


def announcement_of(policy, policies) -> str:
    """The announcement a line applies: its policy version's, or, with no version, all of them."""
    if policy is not None:
        return policy.announcement
    return "、".join(p.announcement for p in sorted(policies, key=lambda p: (p.issued, p.version))) or "policies.csv"
