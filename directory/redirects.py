"""Safe `next` redirects: only paths on this site."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, fallback: str) -> str:
    """`target` if it is a plain local path, else `fallback`.

    Browsers forgive a lot: they drop tabs and newlines, treat a backslash
    like a slash, and read `//host` as another site. So anything with a
    control character, a backslash, a scheme or a host is refused.
    """
    if not target or len(target) > 2000:
        return fallback
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
