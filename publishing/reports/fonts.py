"""DejaVu Sans for the PDFs and charts: embedded, so names in any Latin, Greek or Cyrillic script print.

ReportLab's built-in fonts cover Latin-1 only. DejaVu is on the base image; it is
found through fontconfig (``fc-match``) with the Debian path as the fallback.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FALLBACK_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _font_file(pattern: str, file_name: str) -> Path:
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "--format=%{file}", pattern], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found.endswith(file_name) and Path(found).is_file():
            return Path(found)
    path = FALLBACK_DIR / file_name
    if not path.is_file():
        raise FileNotFoundError(
            f"The reports need the DejaVu Sans font ({file_name}) and it is not installed: "
            "install it (Debian: apt-get install fonts-dejavu-core) and run again."
        )
    return path


@cache
def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) with ReportLab, once per process."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(REGULAR, _font_file("DejaVu Sans:style=Book", "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, _font_file("DejaVu Sans:style=Bold", "DejaVuSans-Bold.ttf")))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
