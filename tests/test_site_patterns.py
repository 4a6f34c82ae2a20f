"""Every packaged site file's `article_url` accepts the real article URL shapes of its site and
rejects its listings, home page and other section pages (issue #21: shapes it dropped)."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from crawler.sites import load_sites

# Article paths per site: the real examples each file's comment cites, and (marked "21") paths
# made in the shapes issue #21 found real articles to have and the old patterns rejected.
ARTICLES: dict[str, list[str]] = {
    "berkeley": ["/2024/05/09/submarine-communications-cables/",
                 "/2024/10/02/researchers-simulate-an-entire-fly-brain-on-a-laptop-is-a-human-brain-next"],
    "cambridge": ["/research/news/physicists-solve-40-year-old-magnetic-mystery",
                  "/news/dedication-of-new-bells-at-great-st-marys"],
    "ethz": ["/en/news-and-events/eth-news/news/2026/06/a-new-type-of-pixel.html",
             "/en/news-and-events/eth-news/news/2024/03/ETH-spin-off-Climeworks-opens-plant.html"],  # 21
    "fudan": ["/2023/0527/c2610a135077/page.htm", "/2025/1124/c31a147457/page.htm"],
    "harvard": ["/gazette/story/2026/07/a-century-of-the-sat/",
                "/gazette/story/newsplus/harvard-announces-new-dean/"],  # 21
    "hit": ["/2026/0512/c11819a242220/page.htm", "/2020/1206/c1510a220456/page.htm",
            "/d1/2a/c1510a184618/page.htm"],  # 21: WebPlus hash folders
    "melbourne": ["/newsroom/news/2019/december/when-flowers-reached-australia"],
    "mit": ["/2024/tornet-ai-dataset-carves-new-paths-tornado-detection-0429",
            "/2019/MIT-Solve-announces-2019-challenges-0301",  # 21: capitals
            "/2011/energy-storage-breakthrough"],  # 21: old slugs without -MMDD
    "nju": ["/zhxw/20230404/i112453.html", "/mtbd/20250628/i326906.html"],
    "nus": ["/producing-quantum-materials-with-ai/",
            "/producing-quantum-materials-with-ai"],  # 21: no trailing slash
    "oxford": ["/news/2021-03-01-gaming-disorder-affects-fewer-people-previously-thought"],
    "pku": ["/xwzh/203d197d93c245a1aec23626bb43d464.htm",
            "/wyyd/wytd/b7c965cbb640434ca109da42c94d7e39.htm",  # 21: nested columns
            "/info/1002/12345.htm"],  # 21: VSB's /info/<col>/<id>.htm
    "sjtu": ["/jdyw/20250624/212058.html", "/zhxw/20240412/196032.html"],
    "stanford": ["/stories/2025/11/online-content-loading-animations-speed-research",
                 "/stories/2024/05/campus_climate_survey_results",  # 21: "_"
                 "/report/2021/03/17/university-leaders-discuss-decision-making-time-covid-19/",
                 "/2019/03/12/stanford-scholars-reflect-on-a-year/"],  # 21: no /report/
    "toronto": ["/news/u-t-researchers-demonstrate-ai-worm-could-target-any-online-device"],
    "tsinghua": ["/info/1182/12345.htm"],
    "tsinghua-legacy": ["/publish/news/4205/2015/20150105153102418786421/20150105153102418786421_.html"],
    "ustc": ["/info/1055/96044.htm"],
    "xjtu": ["/info/1014/223743.htm"],
    "zju": ["/2022/0530/c1043a2568048/page.htm"],
}  # fmt: skip
# Pages of each site that are no article, besides its listings and home page.
NOT_ARTICLES: dict[str, list[str]] = {
    "harvard": ["/gazette/story/newsplus/", "/gazette/feed/", "/gazette/story/2024/09/"],
    "hit": ["/xxyw/list2.htm", "/d1/2a/list.htm"],
    "mit": ["/rss/feed", "/topic/research", "/2024/"],
    "nus": ["/press-room/", "/category/research/", "/feed/", "/page/2/"],
    "pku": ["/xwzh/index.htm", "/wyyd/wytd/index.htm", "/info/1002.htm"],
    "stanford": ["/stories/", "/stories/2025/11/", "/feed/"],
    "ethz": ["/en/news-and-events/eth-news/news.html"],
    "cambridge": ["/news/feed", "/news/science"],
}


@pytest.mark.parametrize("name", sorted(load_sites()))
def test_packaged_article_url_accepts_real_shapes_and_rejects_other_pages(name: str) -> None:
    site = load_sites()[name]
    assert name in ARTICLES, f"add real article URL shapes of {name} to this test"
    for path in ARTICLES[name]:
        assert site.is_article_url(urljoin(site.base_url, path)), path
    others = [*site.listing_urls(), site.base_url, *site.feed_urls(), *site.sitemap_urls()]
    others += [urljoin(site.base_url, p) for p in NOT_ARTICLES.get(name, [])]
    for url in others:
        assert not site.is_article_url(url), url
