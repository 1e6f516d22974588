"""Text normalisation shared by header matching and key cleaning (no heavy imports)."""

from __future__ import annotations

import re
import unicodedata

_UNIT_SUFFIX = re.compile(r"[(（\[【][^)）\]】]{0,8}[)）\]】]$")
_SPACES = re.compile(r"[\s\u3000\u00a0\ufeff]+")

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space → ASCII, for SQL translate().
FULLWIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALFWIDTH = "".join(chr(c) for c in range(0x21, 0x7F)) + " "


def header_key(text: object) -> str:
    """How headers are compared: NFKC, no spaces, lower case, no trailing "(元)" unit."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = _SPACES.sub("", s).lower()
    stripped = _UNIT_SUFFIX.sub("", s)
    return stripped or s
