"""Periodic scans: each finds its candidates in SQL and plans ledger rows; running twice plans nothing new.

`SCANS` names every scan `manage.py run_scan NAME` and beat know.
"""

from . import abandoned_carts, delivery_watch, overdue_reviews, replenishment  # noqa: F401  (they register)
from .base import SCANS, Scan, ScanResult, run_scan

__all__ = ["SCANS", "Scan", "ScanResult", "run_scan"]
