"""The NIK (Nomor Induk Kependudukan): 16 digits `PP KK CC DDMMYY SSSS`.

PP.KK.CC is the kecamatan where it was first issued; DDMMYY the birth date, with 40 added to
DD for women; SSSS a serial from 0001. A malformed NIK is an error. A NIK whose date or sex
disagrees with the person's data is only a warning: real NIKs carry mistakes, and a PSM may
confirm them with a note.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from garda.wilayah.models import Level, Wilayah

NIK_PATTERN = re.compile(r"^\d{16}$")
NO_KK_PATTERN = re.compile(r"^\d{16}$")


@dataclass
class IdentifierCheck:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def normalise_digits(value: object) -> str:
    """Digits of an identifier typed or pasted with spaces, dots or dashes."""
    return re.sub(r"[\s.\-]", "", str(value or ""))


def nik_region_code(nik: str) -> str:
    return f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}"


def nik_birth_date(nik: str) -> tuple[datetime.date | None, str]:
    """The birth date and sex ("L"/"P") encoded in a well-formed NIK; None if not a real date."""
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "P" if day > 40 else "L"
    day -= 40 if day > 40 else 0
    today = datetime.date.today()  # noqa: DTZ011 - a birth date pivot needs no time zone
    try:
        born = datetime.date(2000 + year, month, day)
    except ValueError:
        return None, sex
    if born > today:  # nobody is born in the future: the 1900s
        born = born.replace(year=1900 + year)
    return born, sex


def check_nik(
    nik: str, *, birth_date: datetime.date | None = None, sex: str | None = None
) -> IdentifierCheck:
    result = IdentifierCheck()
    if not NIK_PATTERN.match(nik):
        result.errors.append(_("A NIK has exactly 16 digits."))
        return result
    _check_region(nik_region_code(nik), result, what=_("NIK"))
    encoded_date, encoded_sex = nik_birth_date(nik)
    if encoded_date is None:
        result.errors.append(_("Digits 7-12 of the NIK are not a real date (DDMMYY)."))
        return result
    if int(nik[12:16]) == 0:
        result.errors.append(_("The last four digits of a NIK start from 0001."))
    if birth_date and (encoded_date.day, encoded_date.month) != (birth_date.day, birth_date.month):
        result.warnings.append(
            _("The NIK says born on %(nik_date)s, the form says %(date)s.")
            % {"nik_date": encoded_date.strftime("%d-%m"), "date": birth_date.strftime("%d-%m")}
        )
    elif birth_date and encoded_date.year % 100 != birth_date.year % 100:
        result.warnings.append(_("The birth year in the NIK differs from the date of birth."))
    if sex and sex != encoded_sex:
        result.warnings.append(
            _("The NIK is of a woman (day + 40) but the sex is male.")
            if encoded_sex == "P"
            else _("The NIK is of a man but the sex is female (a woman's day is + 40).")
        )
    return result


def check_no_kk(no_kk: str) -> IdentifierCheck:
    result = IdentifierCheck()
    if not NO_KK_PATTERN.match(no_kk):
        result.errors.append(_("A family card number (No KK) has exactly 16 digits."))
        return result
    _check_region(nik_region_code(no_kk), result, what=_("No KK"))
    return result


def _check_region(code: str, result: IdentifierCheck, *, what: str) -> None:
    """The first six digits must be a kecamatan. Where the regency's kecamatan are not loaded
    (a district server holding only its own regions), that cannot be checked: a warning."""
    if Wilayah.objects.filter(code=code, level=Level.KECAMATAN).exists():
        return
    if Wilayah.objects.filter(parent_id=code.rsplit(".", 1)[0], level=Level.KECAMATAN).exists():
        result.errors.append(
            _("The first six digits of the %(what)s are not a kecamatan code (%(code)s).")
            % {"what": what, "code": code}
        )
    else:
        result.warnings.append(
            _("The region %(code)s of the %(what)s cannot be checked: it is not loaded.")
            % {"what": what, "code": code}
        )


def mask_identifier(value: str) -> str:
    """1901024507900001 -> 1901••••••••••01: enough to tell records apart, not to use them."""
    if len(value) <= 6:
        return "•" * len(value)
    return value[:4] + "•" * (len(value) - 6) + value[-2:]
