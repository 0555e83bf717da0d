"""Parsing the entity-tag lists of If-Match and If-None-Match (RFC 9110 §8.8.3)."""

from __future__ import annotations

import pytest

from presentation.conditional import etag, parse_tags


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        (None, None),
        ("*", {"*"}),
        (" * ", {"*"}),
        ('"abc"', {"abc"}),
        ('W/"abc"', {"W/abc"}),
        ('"a", W/"b" ,"c"', {"a", "W/b", "c"}),
        ('""', {""}),
        ("abc", set()),
        ('"a" "b"', set()),
        ('"a", *', set()),
    ],
)
def test_parse_tags(header, tags):
    parsed = parse_tags(header)
    assert parsed == (None if tags is None else frozenset(tags))


def test_etag_is_strong_and_quoted():
    assert etag("f00") == '"f00"'
