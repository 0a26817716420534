"""The item lines' quick load (schemas.quick_load) agrees with marshmallow's full load: for
any line, valid or broken, it returns exactly what `schema.load` returns, or None (and then
the full load, with its messages, is what the API runs)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from donations_app.api.schemas import ItemLine, quick_load
from tests.fuzz.test_api_bodies import CATALOG, FUZZ, HOSTILE, valid_items

LINE = ItemLine(CATALOG)


def _full_load(category: str, line: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return LINE.by_category[category].load(line)
    except ValidationError:
        return None


@st.composite
def broken_items(draw: st.DrawFn) -> dict[str, Any]:
    """A valid item line with one value replaced, one key removed or one key added."""
    item = draw(valid_items())
    key = draw(st.sampled_from(sorted(item)))
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace" and key != "category":
        item[key] = draw(HOSTILE)
    elif action == "remove" and key != "category":
        del item[key]
    else:
        item[draw(st.sampled_from([*CATALOG.fields, "colour"]))] = draw(HOSTILE)
    return item


@FUZZ
@given(st.one_of(valid_items(), broken_items()))
def test_the_quick_load_returns_what_the_schema_returns_or_gives_way(item):
    expected = _full_load(item["category"], item)
    quick = quick_load(LINE.by_category[item["category"]], item)
    assert quick is None or quick == expected
    if expected is not None:
        assert quick == expected


@FUZZ
@given(valid_items())
def test_valid_lines_take_the_quick_path(item):
    assert quick_load(LINE.by_category[item["category"]], item) is not None
