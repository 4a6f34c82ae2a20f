"""Whatever the bytes, `extract_article` returns an article or raises NotAnArticle: thousands of
truncated, mutated, mis-encoded, deeply nested, empty and binary documents (seeded, repeatable)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import pytest

from crawler.extraction import EXTRACTION_FAILED, NotAnArticle, extract_article
from crawler.sites import Site

SEEDS = [
    # a Chinese VSB page, an English WordPress page, a Drupal page with JSON-LD, a legacy table
    """<html><head><meta charset="utf-8"><title>学校召开研究生招生工作总结会-研究生院</title>
<script src="/system/resource/js/news/newscontent.js"></script></head><body>
<form name="_newscontent_fromname"><h3>学校召开研究生招生工作总结会</h3><h4>佚名 2020-07-09 15:50:50</h4>
<div id="vsb_content"><div class="v_news_content"><p>7月9日，学校召开2020年研究生招生工作总结会。</p>
<p><img src="/__local/1/2/3.jpg"></p><p style="text-align:center">会议现场 张三 摄</p>
<p>会议总结了今年的招生工作。（编辑：李四 审核：王五）</p></div></div></form></body></html>""",
    """<html lang="en-US"><head><meta name="generator" content="WordPress 6.4">
<meta property="article:published_time" content="2024-09-23T13:59:18+00:00">
<title>Healthy habits - Tiny State News</title></head><body><article>
<h1 class="entry-title"><span class="entry-title-primary">Healthy habits</span>
<span class="entry-subtitle">A guide</span></h1><div class="entry-content">
<p><a href="/profiles/jane-doe">Jane Doe</a>, <em>Tiny State University</em></p>
<p>What is the first thing you do in the morning? Many people check their phones.</p>
<ul><li><a href="/a">Related one</a></li><li><a href="/b">Related two</a></li></ul>
</div></article></body></html>""",
    """<html><head><meta name="Generator" content="Drupal 10 (https://www.drupal.org)">
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"NewsArticle",
"headline":"Labs open","datePublished":"2020-02-05T10:00:00-05:00","author":{"@id":"#a"}},
{"@id":"#a","@type":"Person","name":"Todd Bates"}]}</script><title>Labs open | Drupal U</title></head>
<body><h1 class="page-title"><span>Labs open</span></h1><div class="field--name-field-author">By Todd Bates</div>
<div class="field--name-body"><p>The university opened new labs for climate research on the north campus.</p>
<figure><img src="/sites/default/files/a.jpg"><figcaption>The lab. Photo: Jane Roe</figcaption></figure></div>
</body></html>""",
    """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>清华新闻网</title></head>
<body><table><tr><td><span class="STYLE8">中华人民共和国监察法</span></td></tr>
<tr><td>来源: | 发布时间: 2018-05-17 | 浏览次数: <script>_showDynClicks("wbnews", 1, 2)</script></td></tr></table>
<div id="datalist_detail"><p style="text-align:center">来源：中国教育报 2015-1-30</p>
<p>　　第一条 为了深化国家监察体制改革，加强对所有行使公权力的公职人员的监督。</p></div></body></html>""",
]
URLS = [
    "http://yjs.example.edu.cn/info/1078/1305.htm",
    "https://news.example.edu/2024/09/23/healthy-habits/",
    "https://news.example.edu/news/labs-open",
    "http://news.tsinghua.edu.cn/publish/news/4195/2015/20150130140632014653602/20150130140632014653602_.html",
    "",
]
SNIPPETS = [
    "<div>", "</div>", "<p>", "</p>", "<table><tr><td>", "<script>", "</script>", "<!--", "-->",
    "<br>", "<img src=data:x>", "<a href='javascript:x'>", "来源：", "作者：", "发布时间：", "编辑：",
    "摄", "By ", "（", "）", "\x00", "\ufeff", "&#0;", "&#xD800;", "<meta charset='big5'>",
    '<script type="application/ld+json">{"@graph":[[[[', "<h1>", "<form name=_newscontent_fromname>",
    "<time datetime='9999-99-99'>", "<meta property='article:published_time' content='-1'>", "]]>",
]  # fmt: skip


def _mutations(rng: random.Random, n: int) -> Iterator[bytes]:
    for i in range(n):
        seed = SEEDS[i % len(SEEDS)]
        data = seed.encode("gbk", "replace") if i % 7 == 3 else seed.encode("utf-8")
        kind = rng.randrange(8)
        if kind == 0:  # truncated anywhere
            data = data[: rng.randrange(len(data) + 1)]
        elif kind == 1:  # bytes flipped
            b = bytearray(data)
            for _ in range(rng.randrange(1, 40)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            data = bytes(b)
        elif kind == 2:  # markup and labels dropped in anywhere
            text = data.decode("utf-8", "replace")
            for _ in range(rng.randrange(1, 12)):
                at = rng.randrange(len(text) + 1)
                text = text[:at] + rng.choice(SNIPPETS) + text[at:]
            data = text.encode("utf-8", "surrogatepass")
        elif kind == 3:  # slices shuffled
            cuts = sorted(rng.randrange(len(data)) for _ in range(6))
            parts = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
            rng.shuffle(parts)
            data = b"".join(parts)
        elif kind == 4:  # binary
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 3000)))
        elif kind == 5:  # mis-encoded: GBK bytes declared UTF-8, UTF-16 without a BOM
            data = seed.encode("utf-16-le") if rng.random() < 0.5 else seed.encode("gb18030")
        elif kind == 6:  # deeply nested
            depth = rng.choice((50, 300, 3000))
            data = (b"<div>" * depth) + data + (b"</div>" * rng.randrange(depth + 1))
        else:  # repeated and huge
            data = data * rng.randrange(1, 6) + b"<p>" + b"x" * rng.randrange(200_000) + b"</p>"
        yield data


EXTRAS: list[bytes] = [
    b"",
    b" ",
    b"\x00" * 100,
    b"<",
    b"<html>",
    b"<html><body></body></html>",
    b"\xef\xbb\xbf",
    b"\xff\xfe" + "<html><body><p>UTF-16</p></body></html>".encode("utf-16-le"),
    b"<?xml version='1.0'?><rss><channel><item><title>x</title></item></channel></rss>",
    b"<html><body>" + b"<table>" * 5000 + b"</body></html>",
    ("<html><script type='application/ld+json'>" + json.dumps({"@graph": [{"a": 1}] * 3}) + "[" * 5000 + "</script></html>").encode(),
]  # fmt: skip


def _check(data: bytes, url: str, site: Site | None) -> None:
    try:
        article = extract_article(data, url, site)
    except NotAnArticle as exc:
        assert exc.reason != EXTRACTION_FAILED, f"extraction failed on {data[:200]!r}: {exc}"
        return
    assert isinstance(article.title, str) and article.text.strip()


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(name="fuzz", title="t", base_url="http://yjs.example.edu.cn/", listings=["n/"],
                article_url=r"^/info/\d+/\d+\.htm$")  # fmt: skip


@pytest.mark.parametrize("chunk", range(6))
def test_mutated_documents_raise_nothing_but_not_an_article(chunk: int, site: Site) -> None:
    rng = random.Random(2026 + chunk)
    for i, data in enumerate(_mutations(rng, 400)):
        _check(data, URLS[(i + chunk) % len(URLS)], site if i % 3 == 0 else None)


def test_odd_documents_raise_nothing_but_not_an_article(site: Site) -> None:
    for data in EXTRAS:
        for url in URLS:
            _check(data, url, None)
            _check(data, url, site)
