"""Every operation of the schema x every scope: a key reaches exactly its scopes."""

from __future__ import annotations

import re

import pytest
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from data.accounts.scopes import Scope
from presentation.scopes import OPERATION_SCOPES, PUBLIC, rule_for
from tests.api.key_support import key_client, make_key
from tests.api.problems import assert_problem

pytestmark = pytest.mark.django_db


def schema_operations() -> list[tuple[str, str, str]]:
    """Return (operation id, method, path with ids filled) of every operation."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (operation["operationId"], method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


OPERATIONS = schema_operations()


def route(path: str) -> str | None:
    return resolve(path).url_name


def test_every_operation_of_the_schema_is_in_the_table_and_nothing_else():
    listed = {(route(path), method) for _, method, path in OPERATIONS}
    documented = {
        key for key in OPERATION_SCOPES if key[0] not in {"schema", "docs", "redoc"}
    }
    assert listed == documented


@pytest.mark.parametrize("scope", [s.value for s in Scope])
@pytest.mark.parametrize(
    ("operation_id", "method", "path"), OPERATIONS, ids=[op[0] for op in OPERATIONS]
)
def test_a_key_reaches_exactly_the_operations_its_scope_allows(
    staff_api, scope, operation_id, method, path
):
    client = key_client(make_key(staff_api, scope)["key"])
    rule = rule_for(route(path), method)

    response = client.generic(method, path, "{}", content_type="application/json")

    if rule in (PUBLIC, scope):
        assert response.status_code not in (401, 403), response.content
    else:
        assert_problem(response, 403, "permission-denied")
