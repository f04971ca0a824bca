"""PostgreSQL timestamps read by psycopg's own loader (its C one, with psycopg[binary]), not Django's.

Django registers a timestamptz loader on every connection (`psycopg_any.BaseTzLoader`): a Python subclass of
psycopg's pure-Python loader that parses each value in Python and then sets its tzinfo to the connection's time
zone. With USE_TZ the session's TimeZone is UTC (Django sets it when it connects), and psycopg's loader then
returns exactly that, aware datetimes in `datetime.UTC`, parsing in C: a list of 300,000 timestamps loaded in
0.13 s instead of 1.0 s. A send batch reads thousands of them (orders, sends, ledger rows).

psycopg's C loader cannot be subclassed, and Django checks the registered loader's `timezone` before every
cursor (a mismatch would register its own loader again, on the cursor). So the class registered here carries
that `timezone` and builds psycopg's loader when psycopg asks for one.
"""

from datetime import UTC

import psycopg
from psycopg.abc import Loader
from psycopg.pq import Format

TIMESTAMPTZ_OID = psycopg.postgres.types["timestamptz"].oid
# psycopg's own text loader for timestamptz: the C one when psycopg's binary or C package is installed.
_loader = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
if _loader is None:  # psycopg always has one; a future release without it should fail loudly, here
    raise ImportError("psycopg has no text loader for timestamptz")
PSYCOPG_LOADER: type[Loader] = _loader


class UtcTimestamptzLoader:
    """What Django's cursor check reads (`timezone`, UTC) and psycopg's registry needs (`format`); instantiating it
    gives psycopg's own loader, which reads the session's time zone (UTC) itself."""

    format = Format.TEXT
    timezone = UTC

    def __new__(cls, oid: int, context=None):
        return PSYCOPG_LOADER(oid, context)


def use_psycopg_loader(sender, connection, **kwargs) -> None:
    """connection_created: on PostgreSQL with time zones on, load timestamptz with psycopg's loader."""
    if connection.vendor != "postgresql" or connection.timezone is not UTC:
        return
    connection.connection.adapters.register_loader(TIMESTAMPTZ_OID, UtcTimestamptzLoader)
