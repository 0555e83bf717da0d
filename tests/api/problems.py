"""Assertions every API test shares: the RFC 9457 problem body."""

from __future__ import annotations

from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"


def assert_problem(
    response, status: int, slug: str, *, fields: set[str] | None = None
) -> dict[str, Any]:
    """Assert `response` is a problem of this status and slug; return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["type"].startswith("https://")
    assert body["type"].endswith(f"/problems/{slug}")
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    if fields is not None:
        assert status == 400
        assert {error["field"] for error in body["errors"]} == fields
        for error in body["errors"]:
            assert error["code"] and error["message"]
    return body
