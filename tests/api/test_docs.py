"""The OpenAPI schema and the browsable docs."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}
PROBLEM_FIELDS = {"type", "title", "status", "detail", "request_id"}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def test_schema_is_openapi_3_with_the_api_paths(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Orderly API"
    for path in (
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/me/",
        "/api/v1/products/",
        "/api/v1/products/{product_id}/",
    ):
        assert path in schema["paths"]


def test_schema_is_served_as_yaml_by_default(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_every_operation_has_summary_tags_and_operation_id(schema):
    seen_ids = []
    for name, operation in operations(schema):
        assert operation.get("summary"), name
        assert operation.get("tags"), name
        assert operation.get("operationId"), name
        seen_ids.append(operation["operationId"])
    assert len(seen_ids) == len(set(seen_ids))


def test_every_operation_documents_its_errors_as_problems(schema):
    for name, operation in operations(schema):
        errors = {
            code: response
            for code, response in operation["responses"].items()
            if int(code) >= 400
        }
        assert errors, f"{name} documents no error response"
        for code, response in errors.items():
            assert list(response["content"]) == ["application/problem+json"], (
                name,
                code,
            )
            ref = response["content"]["application/problem+json"]["schema"]["$ref"]
            component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
            assert set(component["required"]) >= PROBLEM_FIELDS, (name, code)


def test_every_operation_documents_429_with_retry_after(schema):
    for name, operation in operations(schema):
        throttled = operation["responses"].get("429")
        assert throttled, f"{name} does not document 429"
        assert throttled["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_problem_component_lists_the_contract_fields(schema):
    problem = schema["components"]["schemas"]["ProblemOutput"]
    assert set(problem["required"]) == PROBLEM_FIELDS
    assert "errors" in problem["properties"]


def test_product_writes_document_401_and_403(schema):
    create = schema["paths"]["/api/v1/products/"]["post"]
    assert {"400", "401", "403"} <= set(create["responses"])
    assert "201" in create["responses"]


def header_names(operation: dict) -> set[str]:
    return {p["name"] for p in operation["parameters"] if p["in"] == "header"}


@pytest.mark.parametrize(
    "path", ["/api/v1/products/{product_id}/", "/api/v1/orders/{order_id}/"]
)
def test_detail_reads_document_etag_if_none_match_and_304(schema, path):
    read = schema["paths"][path]["get"]
    assert "If-None-Match" in header_names(read)
    assert "ETag" in read["responses"]["200"]["headers"]
    assert "ETag" in read["responses"]["304"]["headers"]
    assert "content" not in read["responses"]["304"]


def test_product_patch_documents_if_match_412_and_the_new_etag(schema):
    patch = schema["paths"]["/api/v1/products/{product_id}/"]["patch"]
    assert "If-Match" in header_names(patch)
    assert "ETag" in patch["responses"]["200"]["headers"]
    stale = patch["responses"]["412"]["content"]["application/problem+json"]
    assert stale["schema"]["$ref"].endswith("/ProblemOutput")


def test_money_is_a_decimal_string_in_the_schema(schema):
    product = schema["components"]["schemas"]["ProductOutput"]["properties"]
    assert product["price"]["type"] == "string"
    assert product["price"]["format"] == "decimal"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_are_html(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"/api/schema/" in response.content


def test_spectacular_validates_the_schema_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3.")
