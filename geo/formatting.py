"""Numbers and bands as German (or other catalogue) text."""
from __future__ import annotations

from geo.i18n import t


def format_number(value: float, decimals: int = 1, lang: str = "de") -> str:
    """``50.8`` → ``"50,8"`` (decimal separator and thousands from the catalogue)."""
    text = f"{value:,.{decimals}f}"
    if decimals and text.endswith("0" * decimals):
        text = text[: -(decimals + 1)]
    return text.replace(",", "\u2009").replace(".", t("zahl.dezimal", lang)).replace("\u2009", t("zahl.tausender", lang))
