"""Every write of the email engine, one module per thing written (imported from the module itself).

- `messages`: planning emails into the ledger, their trace, cancelling, anonymising
- `ledger`: the once-per-(step, subject) insert every plan goes through
- `coupons`: codes for emails, pools, redemption
- `flows`, `steps`, `variants`, `messaging_policy`: what the merchant edits
- `esp_reports`: what the ESP reports back (delivered, opened, bounced, complained)
- `attribution`: which email an order is credited to
- `scan_runs`: scans queued by hand

Dispatch (`campaigns/dispatch.py`, `campaigns/sending/`) and the scans (`campaigns/scans/`) move messages
through their states and plan them in bulk: engines with their own modules, not edits.
"""
