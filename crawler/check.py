"""`uninews sites check`: fetch recent articles of every listing and report what extraction finds.

The tool a maintainer runs after a site's redesign: per-field fill rates (title, publish time,
authors, source, text, images) over a sample, with the pages that missed a field.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from crawler.discover import Fetcher, fill_rates
from crawler.extraction import NotAnArticle, extract_article
from crawler.extraction.article import Article
from crawler.listing import Capped, article_links
from crawler.listing_misses import unmatched_links
from crawler.run import unmatched_line
from crawler.sites import Site

logger = logging.getLogger(__name__)


@dataclass
class CheckReport:
    site: Site
    articles: list[Article] = field(default_factory=list)
    not_articles: list[tuple[str, str]] = field(default_factory=list)
    empty_listings: list[str] = field(default_factory=list)
    # links the listings' lists of news show that article_url rejects: articles it would miss
    unmatched: list[str] = field(default_factory=list)
    requests: int = 0

    @property
    def rates(self) -> dict[str, float]:
        return fill_rates(self.articles)

    def misses(self, limit: int = 3) -> dict[str, list[str]]:
        """Up to `limit` URLs of articles that missed each field."""
        out: dict[str, list[str]] = {}
        for name in self.rates:
            missed = [
                a.url
                for a in self.articles
                if not (len(a.text or "") >= 200 if name == "text" else getattr(a, name))
            ]
            if missed:
                out[name] = missed[:limit]
        return out

    def lines(self) -> list[str]:
        n = len(self.articles)
        out = [f"{self.site.name}: {n} article(s) checked, {self.requests} requests"]
        out += [
            f"  {name:<13} {rate:6.0%}" + ("   (200 characters or more)" if name == "text" else "")
            for name, rate in self.rates.items()
        ]
        for name, urls in self.misses().items():
            # A short text is not no text: say which it was.
            label = "text under 200 characters" if name == "text" else f"no {name}"
            out.append(f"  {label}: " + ", ".join(urls))
        for url, why in self.not_articles[:5]:
            out.append(f"  not an article: {url} ({why})")
        for url in self.empty_listings:
            out.append(f"  listing shows no article link: {url}")
        if self.unmatched:
            out.append("  " + unmatched_line(len(self.unmatched), self.unmatched))
        return out


def check_site(
    site: Site, sample: int = 5, *, base_url: str | None = None, delay: float = 1.0
) -> CheckReport:
    """Extract the `sample` newest articles of each listing of `site`."""
    fetch = Fetcher(site.base_url, base_url=base_url, delay=delay)
    report = CheckReport(site)
    for listing in site.listing_urls():
        page = fetch.get(listing)
        if page is None:
            report.empty_listings.append(listing)
            continue
        tree = page.tree
        cap = Capped(listing, site)
        links = article_links(tree, listing, site, cap)[:sample]
        missed = unmatched_links(tree, listing, site, cap)
        report.unmatched += [u for u in missed if u not in report.unmatched]
        if not links:
            report.empty_listings.append(listing)
        for link in links:
            got = fetch.get(link.url)
            if got is None:
                continue
            try:
                report.articles.append(
                    extract_article(got.body, link.url, site, content_type=got.content_type)
                )
            except NotAnArticle as exc:
                report.not_articles.append((link.url, exc.reason))
    report.requests = fetch.requests
    return report
