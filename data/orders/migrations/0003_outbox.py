"""The outbox: a trigger queues every new order event; existing ones are queued too.

A trigger, not the repository, so that no write path can skip the outbox and the
event's transaction pays no extra round trip.
"""

import django.db.models.deletion
from django.db import migrations, models

# Events written before the relay existed have never been published either.
BACKFILL = """
INSERT INTO orders_pendingevent (event_id, order_id, created_at)
SELECT id, order_id, created_at FROM orders_orderevent
"""
QUEUE = """
INSERT INTO orders_pendingevent (event_id, order_id, created_at)
VALUES (NEW.id, NEW.order_id, NEW.created_at);
"""
POSTGRESQL = [
    f"""
    CREATE FUNCTION orders_event_to_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {QUEUE} RETURN NULL; END $$
    """,
    """
    CREATE TRIGGER orders_event_to_outbox AFTER INSERT ON orders_orderevent
    FOR EACH ROW EXECUTE FUNCTION orders_event_to_outbox()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER orders_event_to_outbox ON orders_orderevent",
    "DROP FUNCTION orders_event_to_outbox()",
]
SQLITE = [
    f"""
    CREATE TRIGGER orders_event_to_outbox AFTER INSERT ON orders_orderevent
    BEGIN {QUEUE} END
    """
]
SQLITE_REVERSE = ["DROP TRIGGER orders_event_to_outbox"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_events_append_only")]

    operations = [
        migrations.CreateModel(
            name="PendingEvent",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="orders.orderevent",
                    ),
                ),
                ("order_id", models.BigIntegerField()),
                ("created_at", models.DateTimeField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["order_id", "event"], name="orders_pending_order"
                    )
                ],
            },
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
