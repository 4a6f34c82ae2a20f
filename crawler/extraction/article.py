"""The extracted article: plain data, JSON-ready through `as_dict()`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Fields a site file's `selectors` may override (CSS, or XPath when it starts with "/" or "(").
SELECTABLE_FIELDS = (
    "kicker",
    "title",
    "subtitle",
    "published_at",
    "updated_at",
    "source",
    "authors",
    "photographers",
    "editors",
    "body",
)


class NotAnArticle(Exception):
    """The page is not an article (a redirect stub, an empty shell, a listing); `reason` says which."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass
class Image:
    url: str
    caption: str | None = None
    credit: str | None = None


@dataclass
class Attachment:
    url: str
    name: str


@dataclass
class Article:
    """One article as extracted from one page (no fetch or storage metadata)."""

    url: str
    title: str
    text: str
    html: str = ""
    canonical_url: str | None = None
    kicker: str | None = None  # the line above the headline that leads into it (引题)
    subtitle: str | None = None
    published_at: str | None = None  # ISO 8601 with offset; None when the page has no date
    updated_at: str | None = None
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    photographers: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    language: str | None = None
    keywords: list[str] = field(default_factory=list)
    layout: str = "generic"  # which page object produced it
    encoding: str = ""  # the codec the page was read with (fetch metadata)
    decode_faults: int = 0  # replacement characters and C1 controls the decoding left

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
