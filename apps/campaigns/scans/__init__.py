"""Periodic scans: each finds its candidates in SQL and plans ledger rows; running twice plans nothing new.

`SCANS` names every scan `manage.py run_scan NAME` and beat know.
"""

from . import (  # noqa: F401  (each module registers its scan)
    abandoned_carts,
    delivery_watch,
    lapsed_customers,
    overdue_reviews,
    replenishment,
    rfm,
)
from .base import SCANS, Scan, ScanResult, run_scan

__all__ = ["SCANS", "Scan", "ScanResult", "run_scan"]
