"""Render a sales report as a text table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json

from business.money import format_money
from business.orders.reports import SalesReport

FORMATS = ("table", "csv", "json")
CSV_HEADER = ("section", "date", "sku", "name", "orders", "units", "revenue")


def render(report: SalesReport, fmt: str) -> str:
    """Return the report in one of `FORMATS`."""
    return {"table": as_table, "csv": as_csv, "json": as_json}[fmt](report)


def as_json(report: SalesReport) -> str:
    """Return the report as JSON; money is a string with two decimals."""
    body = {
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "currency": report.currency,
        "orders": report.orders,
        "revenue": format_money(report.revenue),
        "days": [
            {
                "date": d.day.isoformat(),
                "orders": d.orders,
                "revenue": format_money(d.revenue),
            }
            for d in report.days
        ],
        "top_products": [
            {
                "product_id": p.product_id,
                "sku": p.sku,
                "name": p.name,
                "units": p.units,
                "revenue": format_money(p.revenue),
            }
            for p in report.top_products
        ],
    }
    return json.dumps(body, indent=2) + "\n"


def as_csv(report: SalesReport) -> str:
    """Return the report as one CSV table; `section` says what a row is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for d in report.days:
        writer.writerow(("day", d.day, "", "", d.orders, "", format_money(d.revenue)))
    writer.writerow(
        ("total", "", "", "", report.orders, "", format_money(report.revenue))
    )
    for p in report.top_products:
        writer.writerow(
            ("product", "", p.sku, p.name, "", p.units, format_money(p.revenue))
        )
    return out.getvalue()


def as_table(report: SalesReport) -> str:
    """Return the report as aligned text for a terminal."""
    lines = [
        f"Sales {report.start} to {report.end} (UTC days, {report.currency})",
        "",
        f"{'Day':<12}{'Orders':>8}{'Revenue':>14}",
    ]
    lines += [
        f"{d.day.isoformat():<12}{d.orders:>8}{format_money(d.revenue):>14}"
        for d in report.days
    ]
    lines += [f"{'Total':<12}{report.orders:>8}{format_money(report.revenue):>14}", ""]
    width = max([len(p.name) for p in report.top_products] + [4])
    lines.append(
        f"Top products\n{'SKU':<18}{'Name':<{width + 2}}{'Units':>8}{'Revenue':>14}"
    )
    lines += [
        f"{p.sku:<18}{p.name:<{width + 2}}{p.units:>8}{format_money(p.revenue):>14}"
        for p in report.top_products
    ]
    if not report.top_products:
        lines.append("(no sales)")
    return "\n".join(lines) + "\n"
