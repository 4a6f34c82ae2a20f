"""The `article_url` discover writes accepts every shape of article link it saw (capitals, `_`,
nested columns, a trailing slash or none), not the narrowest regex of the commonest one."""

from __future__ import annotations

import re

from crawler.discover_patterns import article_pattern


def _accepts(pattern: str, path: str) -> bool:
    return re.search(pattern, path) is not None


def test_nested_columns_are_kept_beside_the_main_shape() -> None:
    hexes = ["203d197d93c245a1aec23626bb43d464", "b7c965cbb640434ca109da42c94d7e39",
             "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "aa11bb22cc33dd44ee55ff6677889900"]  # fmt: skip
    urls = [f"https://news.pku.edu.cn/wyyd/{h}.htm" for h in hexes[:3]]
    urls.append(f"https://news.pku.edu.cn/wyyd/wytd/{hexes[3]}.htm")
    pattern = article_pattern(urls)
    assert pattern is not None
    assert _accepts(pattern, f"/wyyd/wytd/{hexes[0]}.htm")
    assert _accepts(pattern, f"/wyyd/{hexes[3]}.htm")
    assert not _accepts(pattern, "/wyyd/index.htm/x")


def test_slugs_in_any_case_and_with_underscores() -> None:
    slugs = ["MIT-Solve-2019-0301", "energy_storage", "new-dorm-opens-0412", "Lab-Notes"]
    pattern = article_pattern([f"https://news.mit.edu/2019/{s}" for s in slugs])
    assert pattern is not None
    for s in [*slugs, "Another_One-0101"]:
        assert _accepts(pattern, f"/2019/{s}"), s


def test_a_trailing_slash_is_optional() -> None:
    pattern = article_pattern([f"https://news.nus.edu.sg/story-{n}/" for n in "abcd"])
    assert pattern is not None
    assert _accepts(pattern, "/story-e/") and _accepts(pattern, "/story-e")
    assert not _accepts(pattern, "/")
