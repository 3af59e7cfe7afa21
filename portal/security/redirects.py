"""Safe `?next=` handling: only paths on this site (ASVS V5.1.5, open redirects)."""
from urllib.parse import urlsplit


def safe_next(target, default="/"):
    """Return `target` when it is a plain local path, else `default`.

    Refuses scheme-relative (`//host`), backslash tricks (`/\\host`), any whitespace or control
    character (browsers strip tabs and newlines: `\\t//host` becomes `//host`), and absolute URLs.
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return default
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target) or "\\" in target:
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
