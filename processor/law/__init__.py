"""The law of export returns as code: the pure decision core (decide.py), its rules (rules.py), the
six-month window (window.py) and the taxes (taxes.py). Nothing here does I/O."""
