"""uninews: scheduled crawler and faithful, queryable archive of university news sites."""

from crawler import __version__

__all__ = ["__version__"]
