"""Every write of the integrations app, one module per thing written (imported from the module itself).

- `inbound`: deliveries from webhooks and the API: recorded before they are applied, replayed, blanked
- `connections`: connecting a shop or tracking service, its setup and teardown, its health
- `shop_history`: importing a connected shop's past orders, page by page
- `shop_coupons`: creating our coupon codes in the store's shop
- `tracking_registrations`: registering tracking numbers with the store's tracking service
- `csv_imports`: CSV import jobs (rows read by `integrations/csv_rows.py`)
- `product_feeds`: product feeds, fetched and applied (parsed by `integrations/product_feed_formats.py`)
- `outbound_calls`: the outbound call log's retention (the log itself is written by `calls.ApiClient`)
- `test_events`: "send a test event" to our own webhook address
"""
