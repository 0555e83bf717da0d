"""What a person sees in a browser: the API docs and the admin at work."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.live_server import manage

ADMIN = "e2e-admin"
PASSWORD = "e2e-Admin-passw0rd!"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def admin_user(live_orderly, live_database):
    """A superuser: the demo staff login has no model permissions in the admin."""
    manage(
        live_database,
        "createsuperuser",
        "--no-input",
        f"--username={ADMIN}",
        "--email=e2e-admin@example.com",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )


def log_in_to_admin(page: Page) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", ADMIN)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    expect(page.locator("#user-tools")).to_contain_text(ADMIN)


def test_swagger_ui_loads_the_schema_and_lists_products(page: Page):
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Orderly API")
    operation = page.locator("#operations-products-list_products")
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator(".execute").click()

    answer = operation.locator(".live-responses-table tbody tr.response").first
    expect(answer.locator(".response-col_status")).to_have_text("200")
    expect(operation.locator(".live-responses-table")).to_contain_text('"results"')


def test_redoc_renders_the_operations(page: Page):
    page.goto("/api/redoc/")
    expect(page.locator("h1").first).to_contain_text("Orderly API")
    for summary in ("List products", "Place an order", "Pay an order"):
        expect(page.locator("h2", has_text=summary)).to_be_visible()


def test_admin_login_shows_the_site_administration(page: Page):
    log_in_to_admin(page)
    expect(page.locator("#content h1")).to_have_text("Site administration")
    expect(page.locator("#content")).to_contain_text("Products")


def test_admin_edits_a_product_name(page: Page):
    log_in_to_admin(page)
    page.goto("/admin/catalog/product/")
    page.locator("#result_list tbody tr th a").first.click()
    page.fill("#id_name", "Renamed In Browser")
    page.click("input[name=_save]")

    expect(page.locator(".messagelist .success")).to_contain_text(
        "was changed successfully"
    )
    expect(page.locator("#result_list")).to_contain_text("Renamed In Browser")


def test_admin_cancels_an_order_from_the_changelist(page: Page):
    log_in_to_admin(page)
    page.goto("/admin/orders/order/?status__exact=created")
    checkbox = page.locator("#result_list input.action-select").first
    order_id = checkbox.get_attribute("value")
    checkbox.check()
    page.select_option("select[name=action]", "cancel_order")
    page.click("button[name=index]")

    expect(page.locator(".messagelist")).to_contain_text("Cancel: 1 order(s).")
    page.goto(f"/admin/orders/order/?q={order_id}")
    expect(page.locator("#result_list td.field-status")).to_have_text("cancelled")
