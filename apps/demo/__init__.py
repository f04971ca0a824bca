"""The demo: `manage.py seed_demo` builds believable shops for trying Afterglow and for `make bench`.

Demo and benchmark machinery, not product code: nothing in the product imports it, and what it needs
beyond production (factory-boy, Faker) comes with the `demo` extra and is imported only when the seed
runs, so a production install without the extra still passes `check --deploy`.
"""
