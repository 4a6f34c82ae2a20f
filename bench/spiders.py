"""Comparison spiders, each run in its own process: a bare fetcher (the ceiling) and the hand-rolled peer."""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import Request
from scrapy.http import Response

logger = logging.getLogger(__name__)


class FetchOnlySpider(scrapy.Spider):
    """Fetches every URL of a list and does nothing with the pages: what Scrapy alone can do."""

    name = "fetch_only"

    def __init__(self, urls_file: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls: list[str] = json.loads(Path(urls_file).read_text())

    async def start(self) -> AsyncIterator[Request]:
        for url in self.urls:
            yield Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: Response, **kwargs: Any) -> None:
        return None


class HandRolledSpider(scrapy.Spider):
    """What a user writes by hand: follow listings and 下一页, readability in the callback, FEEDS."""

    name = "hand_rolled"

    def __init__(self, start: str, article_re: str, origin: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = json.loads(start)
        self.article_re = re.compile(article_re)
        self.origin = origin.rstrip("/")  # the real site, whose absolute links point here
        self.base = self.start_urls[0].split("/", 3)[:3]

    def local(self, url: str) -> str:
        """The mirror's URL for a link (some pages link with the real host)."""
        if url.startswith(self.origin + "/"):
            return "/".join(self.base) + url[len(self.origin) :]
        return url

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        for href in response.css("a::attr(href)").getall():
            url = self.local(response.urljoin(href))
            if self.article_re.search(urlsplit(url).path):
                yield Request(url, callback=self.parse_article)
        next_page = response.xpath('//a[contains(., "下一页")]/@href').get()
        if next_page:
            yield Request(self.local(response.urljoin(next_page)), callback=self.parse)

    def parse_article(self, response: Response) -> Iterator[dict[str, str]]:
        import lxml.html
        from readability import Document

        doc = Document(response.text)
        summary = doc.summary(html_partial=True)
        text = lxml.html.fromstring(summary).text_content() if summary.strip() else ""
        yield {"url": response.url, "title": doc.title(), "text": text.strip()}


def run(spider: type[scrapy.Spider], settings: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(spider)
    process.crawl(crawler, **kwargs)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return {
        "finish_reason": stats.get("finish_reason"),
        "seconds": float(stats.get("elapsed_time_seconds") or 0.0),
        "requests": int(stats.get("downloader/request_count", 0)),
        "responses": int(stats.get("response_received_count", 0)),
        "status_200": int(stats.get("downloader/response_status_count/200", 0)),
        "items": int(stats.get("item_scraped_count", 0)),
        "errors": int(stats.get("log_count/ERROR", 0)),
        "bytes": int(stats.get("downloader/response_bytes", 0)),
    }


def _setting(value: str) -> tuple[str, str]:
    key, _, val = value.partition("=")
    return key, val


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.spiders", description=__doc__)
    p.add_argument("spider", choices=("fetch", "hand-rolled"))
    p.add_argument("--urls", help="fetch: a JSON file of the URLs to fetch")
    p.add_argument("--start", help="hand-rolled: a JSON list of listing URLs")
    p.add_argument("--article-re", help="hand-rolled: article link path pattern")
    p.add_argument("--origin", help="hand-rolled: the real site's origin, mapped onto the mirror")
    p.add_argument("--out", help="hand-rolled: JSON lines output file (FEEDS)")
    p.add_argument("-s", dest="settings", action="append", type=_setting, default=[])
    args = p.parse_args(argv)
    settings: dict[str, Any] = {
        "LOG_LEVEL": "INFO",
        "TELNETCONSOLE_ENABLED": False,
        **dict(args.settings),
    }
    if args.spider == "fetch":
        result = run(FetchOnlySpider, settings, urls_file=args.urls)
    else:
        settings["FEEDS"] = {
            args.out: {"format": "jsonlines", "encoding": "utf8", "overwrite": True}
        }
        result = run(
            HandRolledSpider,
            settings,
            start=args.start,
            article_re=args.article_re,
            origin=args.origin,
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
