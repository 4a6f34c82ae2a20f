"""Pages nobody tuned for (#22): the kicker, column names, trailer credits, short dates, long
English bodies in several blocks. Every page here is written for the test, in a real layout."""

from __future__ import annotations

from pathlib import Path

from crawler.extraction import extract_article
from crawler.records import extract_record
from crawler.sites import Site
from storage import Outcome, RawPage, open_store
from storage.keys import record_hash
from uninews.output import record_text

_PARAS_ZH = (
    "<p>近日，学校召开本科教学工作会议，总结近年来课程建设与教学改革的成效，部署下一阶段工作。</p>"
    "<p>会议指出，要坚持以学生为中心，推动信息技术与教育教学深度融合，建设一批高水平课程。</p>"
    "<p>与会代表围绕课程思政、实践教学和教学评价等议题进行了深入交流，提出了许多建议。</p>"
)


def _webplus(title: str, above: str = "", after_body: str = "", metas: str = "") -> bytes:
    return f"""<html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="article">{above}<h1 class="arti_title">{title}</h1>
<p class="arti_metas"><span class="arti_update">发布时间：2024-05-10</span>{metas}</p>
<div class="wp_articlecontent">{_PARAS_ZH}{after_body}</div></div></body></html>""".encode()


SITE = Site(
    name="jwc-test",
    title="t",
    base_url="https://jwc.example.edu.cn/",
    listings=["/"],
    article_url=r"/c\d+a\d+/page\.htm$",
)
URL = "https://jwc.example.edu.cn/2024/0510/c1234a5678/page.htm"
KICKER = "从微课、慕课到虚拟仿真实验"
TITLE = "学校召开本科教学工作会议"


# --- the kicker (引题) --------------------------------------------------------------------
def test_the_line_above_the_headline_is_the_kicker_not_lost() -> None:
    above = f'<p class="arti_yt">{KICKER}——</p>'
    art = extract_article(_webplus(TITLE, above), URL)
    assert (art.kicker, art.title) == (KICKER, TITLE)
    assert KICKER not in art.text
    # A template that marks it by class needs no dash.
    art = extract_article(_webplus(TITLE, f'<div class="yt">{KICKER}</div>'), URL)
    assert art.kicker == KICKER
    # A page without one has none (a breadcrumb above the headline is not a kicker).
    crumbs = '<div class="crumbs"><a href="/">首页</a> &gt; <a href="/xw">学校新闻</a></div>'
    assert extract_article(_webplus(TITLE, crumbs), URL).kicker is None


def test_show_prints_the_kicker_above_the_title_and_the_subtitle_below() -> None:
    rec = {"kicker": KICKER, "title": TITLE, "subtitle": "副题在下", "text": "正文"}
    head = record_text(rec).splitlines()[:3]
    assert head == [KICKER, TITLE, "副题在下"]


def test_the_browser_shows_the_kicker_above_the_headline_and_the_subtitle_below(
    tmp_path: Path,
) -> None:
    import httpx

    from tests.webarchive import serving
    from uninews.web.app import create_app

    page = _raw(_webplus(TITLE, f'<p class="arti_yt">{KICKER}——</p>'))
    rec = extract_record(page, SITE)
    assert isinstance(rec, dict)
    rec["subtitle"] = "——记学校本科教学工作会议"
    uri = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    writer = open_store(uri)
    writer.upsert(rec, page)
    stored = writer.get(URL)
    assert stored is not None
    writer.close()
    store = open_store(uri, readonly=True)
    with serving(create_app(store)) as base:
        html = httpx.get(f"{base}/articles/{stored['id']}", timeout=10).text
    store.close()
    kicker, headline = html.index(KICKER), html.index('<h1 id="headline">')
    assert kicker < headline < html.index("——记学校本科教学工作会议")


def _raw(body: bytes) -> RawPage:
    return RawPage(URL, URL, 200, {"Content-Type": "text/html"}, body, "2026-11-27T00:00:00Z")


def test_a_page_without_a_kicker_hashes_as_it_did_before_the_field_existed(tmp_path: Path) -> None:
    raw = _raw(_webplus(TITLE))
    rec = extract_record(raw, SITE)
    assert isinstance(rec, dict)
    assert "kicker" not in rec  # the record an older extractor wrote had no such key
    archived = dict(rec)  # as stored before this version: the same fields, nothing more
    store = open_store(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    assert store.upsert(archived, raw).outcome is Outcome.INSERTED
    again = extract_record(raw, SITE)
    assert isinstance(again, dict)
    assert record_hash(again) == record_hash(archived)
    assert store.upsert(again, raw).outcome is Outcome.UNCHANGED
    # A page that gains a kicker is really a different page: a new version, kicker kept.
    with_kicker = _raw(_webplus(TITLE, f'<p class="arti_yt">{KICKER}——</p>'))
    rec2 = extract_record(with_kicker, SITE)
    assert isinstance(rec2, dict) and rec2["kicker"] == KICKER
    assert list(rec2).index("kicker") < list(rec2).index("title")
    assert store.upsert(rec2, with_kicker).outcome is Outcome.NEW_VERSION
    store.close()


# --- credits in trailers and brackets ----------------------------------------------------
def _credited(*trailer: str) -> tuple[list[str], str | None, list[str], str]:
    art = extract_article(_webplus(TITLE, after_body="".join(f"<p>{t}</p>" for t in trailer)), URL)
    return art.authors, art.source, art.photographers, art.text


def test_a_trailer_credits_the_writer_without_the_affiliation() -> None:
    authors, source, _, text = _credited("本文作者：复旦大学中文系学生 王瑞琳")
    assert (authors, source) == (["王瑞琳"], None)
    assert "王瑞琳" not in text
    authors, source, _, _ = _credited("（作者：花勇，华东政法大学法律学院副院长）")
    assert (authors, source) == (["花勇"], None)
    authors, _, _, text = _credited("刘其真、高海锋 报道")
    assert authors == ["刘其真", "高海锋"] and "报道" not in text


def test_sentences_that_mention_an_author_are_no_credit() -> None:
    authors, _, _, text = _credited("作者认为，大学教育应当回归育人本位。")
    assert authors == [] and "作者认为" in text


def test_a_supplying_unit_is_the_source() -> None:
    _, source, _, text = _credited("供稿｜秘书处")
    assert source == "秘书处" and "秘书处" not in text
    _, source, _, _ = _credited("（供稿：计算机科学技术学院工会）")
    assert source == "计算机科学技术学院工会"
    authors, source, _, _ = _credited("转载来源：计苑菁英 公众号")
    assert (authors, source) == ([], "计苑菁英")


def test_a_photo_credit_is_a_photographer_never_the_source() -> None:
    authors, source, photographers, text = _credited("图片均由钱振兴教授提供")
    assert (authors, source, photographers) == ([], None, ["钱振兴"])
    assert "钱振兴" not in text
    _, source, photographers, _ = _credited("图片均由钱振兴教授提供", "来源：网络空间安全学院")
    assert (source, photographers) == ("网络空间安全学院", ["钱振兴"])


# --- a column name in the <h1> -------------------------------------------------------------
def _column_page(page_title: str, family: str = "") -> bytes:
    body = (
        '<div class="v_news_content">' + _PARAS_ZH + "</div>"
        if family == "vsb"
        else '<div class="content">' + _PARAS_ZH + "</div>"
    )
    return f"""<html><head><meta charset="utf-8"><title>{page_title}</title></head><body>
<div class="nav"><a href="/">首页</a><a href="/zkdt.htm">智库动态</a><a href="/xsyj.htm">学术研究</a></div>
<div class="banner"><h1>智库动态</h1></div>
<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/zkdt.htm">智库动态</a></div>
<div class="article"><h3>研究院举办长三角一体化发展论坛</h3>
<div class="date">发布时间：2024-05-10 浏览次数：120</div>{body}</div></body></html>""".encode()


def test_a_column_name_in_the_h1_is_not_the_headline() -> None:
    headline = "研究院举办长三角一体化发展论坛"
    for page_title in (f"{headline}-智库动态-发展研究院", "智库动态-发展研究院", "发展研究院"):
        art = extract_article(_column_page(page_title), "https://fddi.example.edu.cn/a/1.htm")
        assert art.title == headline, page_title
        vsb = _column_page(page_title, "vsb")
        art = extract_article(vsb, "https://fddi.example.edu.cn/info/1011/2345.htm")
        assert (art.title, art.layout) == (headline, "vsb"), page_title


# --- short and local dates ---------------------------------------------------------------
_EN_PARAS = "".join(
    f"<p>The school's new research centre brings together economists and political "
    f"scientists to study how European governments govern through crises ({i}).</p>"
    for i in range(4)
)


def _german_english_page(date: str, head: str = "") -> bytes:
    return (
        "<html lang='en'><head><title>A centre for governance research - Example School</title>"
        f"{head}</head><body><main><h1>A centre for governance research</h1>"
        f"<div class='news-detail'><span class='date'>{date}</span>{_EN_PARAS}</div></main>"
        "</body></html>"
    ).encode()


BERLIN = Site(
    name="example-school",
    title="Example School",
    base_url="https://www.example-school.de/",
    listings=["/news"],
    article_url=r"/news/",
    timezone="Europe/Berlin",
    language="en",
)


def test_a_short_dotted_date_is_day_first_in_the_sites_timezone() -> None:
    url = "https://www.example-school.de/news/a-centre"
    art = extract_article(_german_english_page("02.12.19"), url, BERLIN)
    assert art.published_at == "2019-12-02T00:00:00+01:00"
    art = extract_article(_german_english_page("14.06.2021"), url, BERLIN)
    assert art.published_at == "2021-06-14T00:00:00+02:00"


def test_without_a_site_a_bare_date_takes_the_offset_the_page_gives_elsewhere() -> None:
    url = "https://www.example-school.de/news/a-centre"
    modified = "<meta property='article:modified_time' content='2019-12-03T10:00:00+01:00'>"
    art = extract_article(_german_english_page("02.12.19", modified), url)
    assert art.published_at == "2019-12-02T00:00:00+01:00"


def test_a_chinese_page_without_a_site_keeps_chinas_offset() -> None:
    # A VSB template declares lang="en" and this page has no <title>: the text is Chinese.
    page = f"""<html lang="en"><head><meta charset="utf-8"></head><body>
<div class="main"><h2>{TITLE}</h2><p class="time">2024年05月10日</p>
<div class="text">{_PARAS_ZH}</div></div></body></html>""".encode()
    art = extract_article(page, "https://jwc.example.edu.cn/news/1.html")
    assert art.published_at == "2024-05-10T00:00:00+08:00"


# --- the site's own name ------------------------------------------------------------------
def test_the_sites_own_name_is_no_source() -> None:
    head = (
        "<meta property='og:site_name' content='Example School'>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "A centre",'
        ' "publisher": {"@type": "Organization", "name": "Example School"}}</script>'
    )
    art = extract_article(_german_english_page("02.12.19", head), "https://ex.de/news/a")
    assert art.source is None
    # A newsroom's own name is the outlet the story appeared in.
    outlet = "<meta property='og:site_name' content='Example School Newsroom'>"
    art = extract_article(_german_english_page("02.12.19", outlet), "https://ex.de/news/a")
    assert art.source == "Example School Newsroom"


# --- long English bodies in several sibling blocks --------------------------------------------
def _prose(topic: str, n: int) -> str:
    return "".join(
        f"<p>{topic} sentence {i}: the team measured how the new material behaves over many "
        f"charging cycles, and the results held across every laboratory that repeated them.</p>"
        for i in range(n)
    )


NAV = "".join(f"<li><a href='/section-{i}'>Section {i}</a></li>" for i in range(12))
FOOTER = (
    "<footer><p>School of Engineering, 1 Campus Road</p><a href='/privacy'>Privacy</a></footer>"
)


def _drupal_paragraphs() -> bytes:
    related = "".join(f"<li><a href='/news/story-{i}'>Another story {i}</a></li>" for i in range(5))
    gallery = "".join(
        f"<figure><img src='/files/g{i}.jpg' alt=''><figcaption>Lab {i}</figcaption></figure>"
        for i in range(3)
    )
    return f"""<html lang="en"><head><title>Engineers build a better battery | School of Engineering</title>
<meta name="generator" content="Drupal 10 (https://www.drupal.org)"></head><body>
<header><nav><ul>{NAV}</ul></nav></header><main><article>
<h1 class="page-title">Engineers build a better battery</h1>
<div class="field--name-field-date"><time datetime="2024-03-04T12:00:00Z">March 4, 2024</time></div>
<div class="field--name-field-sections">
<div class="paragraph paragraph--type--text"><div class="field--name-field-text">{_prose("Opening", 6)}</div></div>
<div class="paragraph paragraph--type--pull-quote"><blockquote>“We did not expect it to last this long.”</blockquote></div>
<div class="paragraph paragraph--type--text"><div class="field--name-field-text"><h2>A new electrolyte</h2>{_prose("Electrolyte", 3)}</div></div>
<div class="paragraph paragraph--type--gallery">{gallery}</div>
<div class="paragraph paragraph--type--related"><h3>Related stories</h3><ul>{related}</ul></div>
<div class="paragraph paragraph--type--text"><div class="field--name-field-text"><h2>What comes next</h2>{_prose("Closing", 2)}</div></div>
</div></article></main>{FOOTER}</body></html>""".encode()


def _bootstrap_sections() -> bytes:
    """A feature page of stacked full-width sections, each in its container/row/column."""

    def section(inner: str, kind: str = "text", background: str = "white") -> str:
        return (
            f'<section class="section section--{kind} bg-{background}"><div class="container">'
            f'<div class="row"><div class="col-lg-8 offset-lg-2">{inner}</div></div></div>'
            "</section>"
        )

    return f"""<html lang="fr"><head><title>A battery that lasts - Université Exemple</title></head><body>
<header><nav class="main-nav"><ul>{NAV}</ul></nav></header><main id="main">
<div class="page-header"><h1>A battery that lasts</h1><p class='date'>04.03.2024</p></div>
{section(_prose("Opening", 6))}
{section("<figure><img src='/medias/a.jpg' alt=''><figcaption>The cell</figcaption></figure>", "image")}
{section("<h2>Why it matters</h2>" + _prose("Middle", 1))}
{section("<h2>What comes next</h2>" + _prose("Closing", 1))}
{section("<h2>Read also</h2><ul>" + NAV + "</ul>", "related")}
</main>{FOOTER}</body></html>""".encode()


def test_a_long_body_in_sibling_blocks_is_kept_whole() -> None:
    art = extract_article(_drupal_paragraphs(), "https://engineering.example.edu/news/battery")
    for part in ("Opening sentence 0", "Electrolyte sentence 2", "Closing sentence 1"):
        assert part in art.text, part
    assert "A new electrolyte" in art.text and "What comes next" in art.text
    assert "Another story" not in art.text and "Campus Road" not in art.text
    art = extract_article(_bootstrap_sections(), "https://www.univ-exemple.fr/actualites/batterie")
    for part in (
        "Opening sentence 5",
        "Middle sentence 0",
        "Closing sentence 0",
    ):
        assert part in art.text, part
    assert "Why it matters" in art.text
    assert "Section 3" not in art.text and "Campus Road" not in art.text


def _layout_builder() -> bytes:
    """Drupal's Layout Builder: the story in several inline text blocks, each its own body
    field, between a pull quote, a gallery and a block of related teasers."""

    def block(kind: str, inner: str) -> str:
        return f'<div class="block block-layout-builder block-inline-block{kind}">{inner}</div>'

    def body(inner: str) -> str:
        return (
            '<div class="clearfix text-formatted field field--name-body field--type-text-with-'
            f'summary field--label-hidden field__item">{inner}</div>'
        )

    teasers = "".join(
        f'<div class="views-row"><article class="node node--type-news node--view-mode-teaser">'
        f"<h3><a href='/news/t{i}'>Another story {i}</a></h3>"
        f"{body(_prose(f'Teaser {i}', 2))}</article></div>"
        for i in range(3)
    )
    return f"""<html lang="en"><head><title>Engineers build a better battery | School of Engineering</title>
<meta name="Generator" content="Drupal 10 (https://www.drupal.org)"></head><body>
<header><nav><ul>{NAV}</ul></nav></header><main role="main">
<h1 class="page-title"><span class="field field--name-title">Engineers build a better battery</span></h1>
<article class="node node--type-news node--view-mode-full"><div class="node__content">
<div class="layout layout--onecol"><div class="layout__region layout__region--content">
{block("basic", body(_prose("Opening", 5)))}
{block("pull-quote", "<blockquote><p>“We did not expect it to last this long.”</p></blockquote>")}
{block("basic", body("<h2>A new electrolyte</h2>" + _prose("Electrolyte", 3)))}
{block("gallery", "<figure><img src='/files/g.jpg' alt=''><figcaption>The lab</figcaption></figure>")}
{block("basic", body("<h2>What comes next</h2>" + _prose("Closing", 2)))}
</div></div>
<div class="block block-views block-views-blockrelated-news"><h2>Related news</h2>{teasers}</div>
</div></article></main>{FOOTER}</body></html>""".encode()


def test_a_story_in_several_text_blocks_keeps_every_block_and_no_teaser() -> None:
    art = extract_article(_layout_builder(), "https://engineering.example.edu/news/battery")
    assert art.layout == "drupal"
    for part in ("Opening sentence 4", "A new electrolyte", "Electrolyte sentence 2"):
        assert part in art.text, part
    assert "What comes next" in art.text and "Closing sentence 1" in art.text
    assert "Teaser" not in art.text and "Another story" not in art.text


def test_a_bare_date_the_cms_wrote_as_midnight_utc_stays_on_the_sites_clock() -> None:
    head = "<meta property='article:published_time' content='2019-12-02T00:00:00+00:00'>"
    page = _german_english_page("", head)
    art = extract_article(page, "https://www.example-school.de/news/a-centre", BERLIN)
    assert art.published_at == "2019-12-02T00:00:00+01:00"
    timed = "<meta property='article:published_time' content='2019-12-02T09:30:00+00:00'>"
    art = extract_article(_german_english_page("", timed), "https://www.example-school.de/news/a")
    assert art.published_at == "2019-12-02T09:30:00+00:00"  # a real moment keeps its offset


def test_a_slashed_date_follows_the_pages_language_or_the_sites_place() -> None:
    url = "https://www.example-school.de/news/a-centre"
    art = extract_article(_german_english_page("02/12/2019"), url, BERLIN)
    assert art.published_at == "2019-12-02T00:00:00+01:00"  # English, in Berlin: day first
    boston = Site(
        name="bu",
        title="BU",
        base_url="https://www.bu.example.edu/",
        listings=["/news"],
        article_url=r"/news/",
        timezone="America/New_York",
        language="en",
    )
    art = extract_article(
        _german_english_page("02/12/2019"), "https://www.bu.example.edu/news/a", boston
    )
    assert art.published_at == "2019-02-12T00:00:00-05:00"  # English, in Boston: month first
    british = _german_english_page("02/12/2019").replace(b"lang='en'", b"lang='en-GB'")
    art = extract_article(british, "https://www.ox.example.ac.uk/news/a")
    assert art.published_at is not None and art.published_at.startswith("2019-12-02")
