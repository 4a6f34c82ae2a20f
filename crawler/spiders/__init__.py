"""Spiders: the generic `news` spider, and one named subclass per site file (`scrapy crawl tsinghua`)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from crawler.sites import SiteError, load_sites
from crawler.spiders.news import NewsSpider

logger = logging.getLogger(__name__)


def _site_spiders() -> dict[str, type[NewsSpider]]:
    sites_dir = os.environ.get("UNINEWS_SITES_DIR")
    try:
        sites = load_sites(Path(sites_dir) if sites_dir else None)
    except SiteError as exc:
        logger.error("%s", exc)
        return {}
    return {
        name: type(
            f"{name.title().replace('-', '').replace('_', '')}Spider",
            (NewsSpider,),
            {
                "name": name,
                "site_name": name,
                "__module__": __name__,
                "__doc__": f"Crawl {site.title}.",
            },
        )
        for name, site in sites.items()
    }


globals().update({cls.__name__: cls for cls in _site_spiders().values()})

__all__ = ["NewsSpider"]
