"""Amounts of money as people read them: "Rp 1.500.000" in Indonesian, "Rp 1,500,000" in English."""

from django.utils import formats


def rupiah(value: float | int | None) -> str:
    """Whole rupiah with the active language's grouping; an empty value is a dash."""
    if value is None or value == "":
        return "—"
    return "Rp " + formats.number_format(int(value), force_grouping=True)
