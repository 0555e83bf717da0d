"""Refunds by lines (with restock), and the database's own "never more than paid".

`amount_refunded <= amount` is a CHECK on the payment since 0002; the trigger
here also refuses refunds, pending or succeeded, that add up to more than the
payment, whatever wrote them. It takes the payment's row lock, so concurrent
refunds of one payment take turns and each counts the others.
"""

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL = [
    """
    CREATE FUNCTION payments_refunds_within_payment() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        paid numeric;
        held numeric;
    BEGIN
        SELECT amount INTO paid FROM payments_payment
        WHERE id = NEW.payment_id FOR UPDATE;
        SELECT COALESCE(SUM(amount), 0) INTO held FROM payments_refund
        WHERE payment_id = NEW.payment_id AND status <> 'failed';
        IF held > paid THEN
            RAISE EXCEPTION USING
                ERRCODE = 'check_violation',
                CONSTRAINT = 'payments_refunds_within_payment',
                MESSAGE = 'refunds of payment ' || NEW.payment_id
                    || ' add up to ' || held || ', more than its ' || paid;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER payments_refunds_within_payment
    AFTER INSERT OR UPDATE OF amount, status, payment_id ON payments_refund
    FOR EACH ROW EXECUTE FUNCTION payments_refunds_within_payment()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER payments_refunds_within_payment ON payments_refund",
    "DROP FUNCTION payments_refunds_within_payment()",
]
SQLITE = [
    f"""
    CREATE TRIGGER payments_refunds_within_payment_{op.lower()}
    AFTER {op} ON payments_refund
    WHEN (
        SELECT COALESCE(SUM(amount), 0) FROM payments_refund
        WHERE payment_id = NEW.payment_id AND status <> 'failed'
    ) > (SELECT amount FROM payments_payment WHERE id = NEW.payment_id)
    BEGIN SELECT RAISE(ABORT, 'refunds add up to more than their payment'); END
    """
    for op in ("INSERT", "UPDATE")
]
SQLITE_REVERSE = [
    "DROP TRIGGER payments_refunds_within_payment_insert",
    "DROP TRIGGER payments_refunds_within_payment_update",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_trigram_search"),
        ("payments", "0002_provider"),
    ]

    operations = [
        migrations.AddField(
            model_name="refund",
            name="restock",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="refund",
            name="restocked",
            field=models.BooleanField(default=False),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=models.Q(("restocked", False), ("restock", True), _connector="OR"),
                name="payments_refund_restocked_if_asked",
            ),
        ),
        migrations.CreateModel(
            name="RefundLine",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("quantity", models.IntegerField()),
                ("unit_price", models.DecimalField(decimal_places=2, max_digits=8)),
                (
                    "product",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="catalog.product",
                    ),
                ),
                (
                    "refund",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lines",
                        to="payments.refund",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("refund", "product"), name="payments_refund_line_once"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("quantity__gte", 1)),
                        name="payments_refund_line_quantity",
                    ),
                ],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
