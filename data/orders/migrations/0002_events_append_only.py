"""Order events are append-only: the database refuses to change or delete one."""

from django.db import migrations

POSTGRESQL = [
    """
    CREATE FUNCTION orders_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = 'order events are append-only: ' || TG_OP;
    END $$
    """,
    """
    CREATE TRIGGER orders_event_append_only
    BEFORE UPDATE OR DELETE ON orders_orderevent
    FOR EACH ROW EXECUTE FUNCTION orders_event_append_only()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER orders_event_append_only ON orders_orderevent",
    "DROP FUNCTION orders_event_append_only()",
]
SQLITE = [
    f"""
    CREATE TRIGGER orders_event_no_{op.lower()} BEFORE {op} ON orders_orderevent
    BEGIN SELECT RAISE(ABORT, 'order events are append-only'); END
    """
    for op in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = ["DROP TRIGGER orders_event_no_update", "DROP TRIGGER orders_event_no_delete"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
