"""For scrapyd-deploy, which builds the egg Scrapyd runs with `python setup.py bdist_egg`.

Everything about the package (files, data, the `scrapy` entry point naming the settings
module) is in pyproject.toml; this file only lets that older build path read it.
"""

from setuptools import setup

setup()
