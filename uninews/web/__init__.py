"""The archive in a browser: `uninews serve` (pages and a JSON API, read-only)."""
