# Every sent email's HTML (tens of kilobytes) is written into the ledger as it is sent. PostgreSQL compresses
# it with pglz by default; lz4 compresses several times faster (and reads back faster), which a worker
# recording hundreds of emails a second waits for. Existing values stay as they are (both stay readable);
# a server built without lz4 keeps pglz. Only the catalogue changes: no table is rewritten.

from django.db import migrations

COLUMNS = ("body_html", "body_text")


def _tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT 'campaigns_message'::regclass::text UNION ALL "
        "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'campaigns_message'::regclass"
    )
    return [row[0] for row in cursor.fetchall()]


def _compress_with(method: str):
    def apply(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND %s = ANY(enumvals)", [method]
            )
            if cursor.fetchone() is None:
                return
            for table in _tables(cursor):
                changes = ", ".join(f"ALTER COLUMN {quote(column)} SET COMPRESSION {method}" for column in COLUMNS)
                cursor.execute(f"ALTER TABLE {table} {changes}")

    return apply


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0011_message_step_subject_index")]

    operations = [migrations.RunPython(_compress_with("lz4"), _compress_with("pglz"))]
