"""Text normalisation before a question is parsed: invisible format characters out, NFKC in.

A soft hyphen or a zero-width joiner inside a word ("Cus\\u00adtoms") is invisible on screen but
splits the word for every matcher; full-width letters and digits ("ＣＵＳＴＯＭＳ", "措施４７")
look like ASCII but are not. Both arrive by copy and paste from Word, PDFs and Chinese input methods.
"""

from __future__ import annotations

import unicodedata


def normalize_text(text: str) -> str:
    """Drop format characters (Unicode category Cf: soft hyphen, ZWJ/ZWNJ, word joiner, BOM, bidi
    marks) and lone surrogates (Cs, which no encoder accepts), then fold compatibility forms (NFKC).

    ``"Cus\\u00adtoms" -> "Customs"``; ``"\\ufeffＣｕｓｔｏｍｓ ４７" -> "Customs 47"``
    """
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cs"))
    return unicodedata.normalize("NFKC", kept)
