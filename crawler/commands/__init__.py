"""Scrapy commands of the uninews project (`COMMANDS_MODULE`): `crawl` runs a whole uninews crawl."""
