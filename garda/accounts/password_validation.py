"""Garda's password rules beyond Django's own (ADR 0019).

Django's validators know English passwords and compare a password with the username and the
email as wholes. These add what guessing an Indonesian official's password starts with: the
words everyone here uses ("bismillah", "sayang", "indonesia"), the name of the service and the
office, and the person's own name, region, phone number, NIK and date of birth, also when
they are hidden inside a longer password, written with digits for letters ("b1sm1llah") or
split by punctuation ("Siti.Aminah").
"""

import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils.translation import gettext as _

from garda.wilayah.models import Wilayah

from .models import User

if TYPE_CHECKING:
    from garda.pilar.models import Pilar

# The words people in Indonesia use most in passwords, as letters only (one a line).
COMMON_WORDS_FILE = Path(__file__).parent / "data" / "common_passwords_id.txt"
# A password must hold at least this many letters besides the common words it uses.
MIN_OWN_LETTERS = 4
# Names and words shorter than this are too often part of ordinary words to be refused.
MIN_WORD = 4
# Words of region and office names that name a kind of place, not the place.
PLACE_KINDS = {
    *("kabupaten", "kota", "kecamatan", "desa", "kelurahan", "provinsi", "administrasi"),
    *("dinas", "kantor"),
}
# Digits people write for letters.
_LEET = str.maketrans("0134578@$!", "oieastbasi")


@cache
def common_words() -> list[str]:
    """Longest first, so "sayangku" is found before "sayang"."""
    lines = COMMON_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    words = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    return sorted(words, key=len, reverse=True)


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _folded(text: str) -> str:
    return _letters(text.lower().translate(_LEET))


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _words(*texts: str) -> set[str]:
    """The words of names (and each name whole, without spaces) long enough to refuse."""
    found: set[str] = set()
    for text in texts:
        parts = [_letters(part) for part in re.split(r"[\W_]+", text)]
        found.update(part for part in [*parts, "".join(parts)] if len(part) >= MIN_WORD)
    return found


def _found_in(password: str, words: Iterable[str]) -> str | None:
    forms = (_letters(password), _folded(password))
    return next(
        (w for w in sorted(words, key=len, reverse=True) if any(w in f for f in forms)), None
    )


class IndonesianCommonPasswordValidator:
    """Refuses a password made only of common words (`COMMON_WORDS_FILE`), digits and symbols."""

    def validate(self, password: str, user: User | None = None) -> None:
        for form in {_letters(password), _folded(password)}:
            used = [word for word in common_words() if word in form]
            rest = form
            for word in used:
                rest = rest.replace(word, "")
            if used and len(rest) < MIN_OWN_LETTERS:
                raise ValidationError(
                    _(
                        "This password is too easy to guess: “%(word)s” is one of the words "
                        "people use most. Add words of your own."
                    ),
                    code="password_common_id",
                    params={"word": used[0]},
                )

    def get_help_text(self) -> str:
        return _("It must not be only common words such as “bismillah” or “indonesia” and digits.")


class PersonalInformationValidator:
    """Refuses a password holding the user's own data, the region's or the office's name."""

    def validate(self, password: str, user: User | None = None) -> None:
        person = _person(user)
        for words, message in _personal_words(user, person):
            word = _found_in(password, words)
            if word:
                raise ValidationError(message, code="password_personal", params={"word": word})
        digits = _digits(password)
        for numbers, message in _personal_numbers(user, person):
            if any(number in digits for number in numbers):
                raise ValidationError(message, code="password_personal")

    def get_help_text(self) -> str:
        return _(
            "It must not contain your name, username, phone number, NIK, date of birth, or the "
            "name of your region or office."
        )


def _person(user: User | None) -> "Pilar | None":
    """The social worker's profile of the account, if any: it holds the NIK and birth date."""
    if user is None or user.pk is None:
        return None
    try:
        return user.pilar  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None


def _personal_words(user: User | None, person: "Pilar | None") -> Iterator[tuple[set[str], str]]:
    names = [user.username, user.name, user.email.split("@")[0]] if user else []
    yield (
        _words(*names),
        _("The password must not contain your name, username or email (“%(word)s”)."),
    )
    places = [settings.GARDA_OFFICE_NAME, person.birth_place if person else ""]
    codes = [w.code for w in (user and user.wilayah, person and person.wilayah) if w]
    if codes:  # the regions and every region around them: desa, kecamatan, kabupaten, provinsi
        around = {".".join(c.split(".")[:n]) for c in codes for n in range(1, c.count(".") + 2)}
        places += Wilayah.objects.filter(code__in=around).values_list("name", flat=True)
    yield (
        _words(*places) - PLACE_KINDS,
        _("The password must not contain the name of your region or office (“%(word)s”)."),
    )


def _personal_numbers(user: User | None, person: "Pilar | None") -> Iterator[tuple[set[str], str]]:
    phones = [user.phone if user else "", person.phone if person else ""]
    yield (
        {_digits(p)[-6:] for p in phones if len(_digits(p)) >= 8},
        _("The password must not contain your phone number."),
    )
    nik = _digits(person.nik) if person is not None else ""
    yield (
        {nik[i : i + 8] for i in range(len(nik) - 7)},
        _("The password must not contain your NIK or part of it."),
    )
    born = person.birth_date if person is not None else None
    yield (
        {born.strftime(f) for f in ("%d%m%Y", "%Y%m%d", "%d%m%y")} if born else set(),
        _("The password must not contain your date of birth."),
    )


class CharacterVarietyValidator:
    """Refuses "aaaaaaaaaa" and "abababab12": too few different characters."""

    def __init__(self, min_distinct: int = 5) -> None:
        self.min_distinct = min_distinct

    def validate(self, password: str, user: User | None = None) -> None:
        if len(set(password)) < self.min_distinct:
            raise ValidationError(
                _("The password needs at least %(count)d different characters."),
                code="password_too_uniform",
                params={"count": self.min_distinct},
            )

    def get_help_text(self) -> str:
        return _("It needs at least %(count)d different characters.") % {"count": self.min_distinct}


class NotCurrentPasswordValidator:
    """A new password must be new: the forced change after a one-time password, too."""

    def validate(self, password: str, user: User | None = None) -> None:
        # The hasher's check, not user.check_password(), which may re-save the old hash.
        if user is not None and user.password and check_password(password, user.password):
            raise ValidationError(
                _("The new password must differ from the current one."),
                code="password_unchanged",
            )

    def get_help_text(self) -> str:
        return _("It must differ from your current password.")
