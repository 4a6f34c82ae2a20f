"""Scrapy settings for every uninews crawl (alphabetical; each says why). `-s KEY=VALUE` overrides."""

from __future__ import annotations

import os

from crawler import __version__

BOT_NAME = "uninews"

# Politeness: never more than this many requests in flight to one site, AutoThrottle adapts the
# delay to the server's latency, and robots.txt is obeyed.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# Scrapy starts this many asyncio tasks for every response's output, and our responses yield
# one item each: its default of 100 cost a quarter of the crawl's main thread (bench: 2 gives
# 168 pages/s where 100 gave 128). Items of different responses still run in parallel.
CONCURRENT_ITEMS = 2
CONCURRENT_REQUESTS = 16
# `scrapy crawl` (what Scrapyd runs) is a whole uninews crawl: crawler/commands/crawl.py says why.
COMMANDS_MODULE = "crawler.commands"
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Article pages are 20-80 KB; anything past 16 MB is not a news page.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
DOWNLOADER_MIDDLEWARES = {
    # Our retry replaces Scrapy's: same codes, plus exponential backoff and Retry-After.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Every page is decoded once where a panic of w3lib's native scanner costs one line.
    "crawler.response_middlewares.ContainedDecodingMiddleware": 585,
    # A page that refreshes itself, or shows itself before moving on, is a page, not a redirect.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.response_middlewares.HonestMetaRefreshMiddleware": 580,
}
EXTENSIONS = {
    "crawler.extensions.CrawlProgress": 500,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 300,
    "crawler.capture.CapturePipeline": 350,
    "crawler.pipelines.ArchivePipeline": 400,
}
LOG_LEVEL = os.environ.get("UNINEWS_LOG_LEVEL", "INFO")
# A meta refresh to another page is followed only when a browser would leave at once (0 s).
METAREFRESH_MAXDELAY = 1
NEWSPIDER_MODULE = "crawler.spiders"
# The HTTP cache is off: the archive itself keeps every raw page.
HTTPCACHE_ENABLED = False
# Scrapy's remote-control HTTP server runs any Python sent to it (with a token written to a job
# file in the user's profile, left behind by a killed crawl): an archive's crawler needs none.
REMOTE_CONTROL_ENABLED = False
RETRY_BACKOFF_BASE = 1.0  # seconds before the first retry; doubles each time
RETRY_BACKOFF_MAX = 60.0
RETRY_ENABLED = True
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_TIMES = 3
ROBOTSTXT_OBEY = True
# The spider bounds its own walk (pagination rules, --max-pages); per-output depth and URL-length
# bookkeeping only cost the crawl's main thread time on every item.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
}
SPIDER_MODULES = ["crawler.spiders"]
TELNETCONSOLE_ENABLED = False  # the same: a Python console on a local port
# Capture (crawler/capture.py): an article's images, attachments (and, if its site file asks,
# stylesheets) are archived beside it. Off with -s UNINEWS_CAPTURE=false. A file past the
# first cap, or past what the article has left of the second, is not kept (a warning says so).
UNINEWS_CAPTURE = True
UNINEWS_CAPTURE_ARTICLE_MAXSIZE = 64 * 1024 * 1024
UNINEWS_CAPTURE_MAXSIZE = 32 * 1024 * 1024
# The archive's store; `uninews crawl --store` and $UNINEWS_STORE set it. Without it, items
# pass through (e.g. to `scrapy crawl SITE -O items.jsonl`).
UNINEWS_STORE = os.environ.get("UNINEWS_STORE")
# Where site operators can reach whoever runs this crawler; part of the User-Agent.
UNINEWS_CONTACT = os.environ.get("UNINEWS_CONTACT", "https://github.com/uninews/uninews")
# Processes that run extraction beside the crawl (0: in the crawl process itself).
UNINEWS_EXTRACT_WORKERS = int(os.environ.get("UNINEWS_EXTRACT_WORKERS", os.cpu_count() or 1))
# Links (or sitemap and feed entries) one page yields at most, the rest left with a warning: the
# sitemap protocol's own limit per file, so no valid sitemap is cut; a page past it is a trap
# that would hold hundreds of megabytes of requests.
UNINEWS_MAX_LINKS = 50_000
UNINEWS_PROGRESS_INTERVAL = 10.0  # seconds between progress lines on long crawls
# Seconds a stopped crawl (SIGINT, SIGTERM) waits for the pages in flight before it stops at
# once, leaving them to the next run: Ctrl-C must act within seconds, whatever the server does.
UNINEWS_STOP_GRACE = 10.0
USER_AGENT = f"uninews/{__version__} (+{UNINEWS_CONTACT}; archival crawler of university news)"
