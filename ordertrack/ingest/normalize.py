"""Text normalisation shared by header matching and key cleaning (no heavy imports)."""

from __future__ import annotations

import re
import unicodedata

_UNIT_SUFFIX = re.compile(r"[(（\[【][^)）\]】]{0,8}[)）\]】]$")
_SPACES = re.compile(r"[\s\u3000\u00a0\ufeff\u200b-\u200f\u2060\u202a-\u202e\u2066-\u2069]+")

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space → ASCII, for SQL translate().
# The no-break spaces (U+00A0, U+2007, U+202F) too, so trim() removes them from ids.
FULLWIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000\u00a0\u2007\u202f"
HALFWIDTH = "".join(chr(c) for c in range(0x21, 0x7F)) + "    "
# Invisible characters an id never means: zero-width space / joiners, word joiner, BOM,
# direction marks and embeddings. translate() with FULLWIDTH + INVISIBLE deletes them.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f" + "".join(
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
)


def header_key(text: object) -> str:
    """How headers are compared: NFKC, no spaces, lower case, no trailing "(元)" unit."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = _SPACES.sub("", s).lower()
    stripped = _UNIT_SUFFIX.sub("", s)
    return stripped or s
