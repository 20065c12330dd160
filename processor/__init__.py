"""Batch processor for cross-border e-commerce export returns (MOF/GACC/STA Announcement 2023 No. 4 and successors)."""

__version__ = "0.1.0"
