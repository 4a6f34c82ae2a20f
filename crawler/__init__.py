"""Fetching and extraction: Scrapy spiders that navigate, page objects that extract."""

__version__ = "0.1.0"
