"""`manage.py rotate_keys`: move every encrypted value to the newest key, and on request
recompute the blind indexes under a new index key. Procedure: docs/deploy.md, "Encryption keys".

What it touches:

- every `EncryptedTextField` of every installed model (found through `apps.get_models()`), and
  the fields listed in `CIPHERTEXT_FIELDS`: plain text columns that hold `crypto.encrypt`
  output written by hand (the 2FA secrets);
- with `--blind-index-from OLDKEY`, the blind-index columns listed in `BLIND_INDEXES`.
  Models declare nothing themselves; the mapping lives here, and the command refuses to run if
  a model has an encrypted field with a `<field>_hash` column the mapping does not name.

Each batch of rows is one transaction, its rows locked (PostgreSQL), so the application may
keep running and an interrupted run loses nothing: run it again. Values already under the
newest key, or indexes already under the current index key, are counted and left alone.
"""

import hashlib
import hmac
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from garda.core import crypto
from garda.core.fields import EncryptedTextField

# Plain text columns holding ciphertext made with `crypto.encrypt` ("app_label.Model", field).
CIPHERTEXT_FIELDS = (("accounts.TwoFactorDevice", "secret_encrypted"),)

# Blind indexes: "app_label.Model" -> {index column: (encrypted field, purpose)}. The purpose is
# the one the model's services pass to `crypto.blind_index` (registry.services.nik_hash and
# no_kk_hash, pilar.services.nik_hash). Values are stored normalised, so the index is
# `blind_index(value, purpose=purpose)` of the decrypted value; an empty value has no index.
BLIND_INDEXES: dict[str, dict[str, tuple[str, str]]] = {
    "registry.Individu": {"nik_hash": ("nik", "nik")},
    "registry.Keluarga": {"no_kk_hash": ("no_kk", "no_kk")},
    "pilar.Pilar": {"nik_hash": ("nik", "nik")},
    "programs.Proposal": {"nik_hash": ("nik", "nik")},
}

RAW = "_rotate_keys_raw"


@dataclass
class Counts:
    changed: int = 0
    current: int = 0
    empty: int = 0


def encrypted_columns() -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every column holding Fernet ciphertext."""
    found = [
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    ]
    found += [(apps.get_model(label), name) for label, name in CIPHERTEXT_FIELDS]
    return sorted(found, key=lambda pair: (pair[0]._meta.label, pair[1]))


def undeclared_blind_indexes() -> list[str]:
    """`Model.field_hash` columns next to an encrypted field that BLIND_INDEXES does not name."""
    missing = []
    for model, name in encrypted_columns():
        declared = BLIND_INDEXES.get(model._meta.label, {})
        names = {f.name for f in model._meta.concrete_fields}
        if f"{name}_hash" in names and f"{name}_hash" not in declared:
            missing.append(f"{model._meta.label}.{name}_hash")
    return missing


def index_under(key: str, value: str, *, purpose: str) -> str:
    """`crypto.blind_index` under a given key (the command checks the two agree)."""
    return hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _batches(
    queryset: models.QuerySet, *, size: int, fields: tuple[str, ...]
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in primary-key order, one locked batch per transaction: (pk, *fields)."""
    last = None
    while True:
        with transaction.atomic():
            rows = queryset.select_for_update().order_by("pk")
            if last is not None:
                rows = rows.filter(pk__gt=last)
            batch = list(rows.values_list("pk", *fields)[:size])
            if not batch:
                return
            yield batch  # the caller writes inside this transaction
        last = batch[-1][0]


class Command(BaseCommand):
    help = "Re-encrypt personal data under the newest key; optionally recompute blind indexes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help=_("Rows per transaction (default 1000)."),
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help=_(
                "Change nothing: count the values not yet under the newest key (and, with "
                "--blind-index-from, the indexes not yet under the current index key); fail "
                "if there are any."
            ),
        )
        parser.add_argument(
            "--blind-index-from",
            metavar="OLDKEY",
            help=_(
                "Also recompute the blind indexes under GARDA_BLIND_INDEX_KEY. OLDKEY is the "
                "previous index key; '-' reads it from standard input."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        size, check = options["batch_size"], options["check"]
        if size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        if missing := undeclared_blind_indexes():
            raise CommandError(
                _("Blind-index columns not declared in rotate_keys.BLIND_INDEXES: %(columns)s")
                % {"columns": ", ".join(missing)}
            )
        old_index_key = options["blind_index_from"]
        if old_index_key == "-":
            old_index_key = sys.stdin.readline().strip()
        if old_index_key is not None:
            self._check_index_keys(old_index_key)
        crypto.clear_key_cache()  # the keys of this process's settings, not a stale cache
        keys = [k.strip() for k in settings.GARDA_ENCRYPTION_KEYS if k.strip()]
        if not keys:
            raise CommandError(_("GARDA_ENCRYPTION_KEYS holds no key."))
        newest = Fernet(keys[0])

        pending = 0
        for model, name in encrypted_columns():
            counts = self._reencrypt(model, name, newest=newest, size=size, check=check)
            pending += counts.changed
            self._report(model, name, counts, check=check, index=False)
        if old_index_key is not None:
            for label, columns in BLIND_INDEXES.items():
                model = apps.get_model(label)
                for column, (name, purpose) in columns.items():
                    counts = self._reindex(
                        model, column, name, purpose, old_key=old_index_key, size=size, check=check
                    )
                    pending += counts.changed
                    self._report(model, column, counts, check=check, index=True)
        if check and pending:
            raise CommandError(
                _("%(count)s values still need rotating: run rotate_keys without --check.")
                % {"count": pending}
            )
        self.stdout.write(self.style.SUCCESS(_("Done.")))

    def _check_index_keys(self, old_key: str) -> None:
        current = settings.GARDA_BLIND_INDEX_KEY
        if not old_key:
            raise CommandError(_("The previous blind-index key is empty."))
        if old_key == current:
            raise CommandError(
                _(
                    "The previous blind-index key equals GARDA_BLIND_INDEX_KEY: set the new key "
                    "in the environment first."
                )
            )
        probe = "0000000000000000"
        if index_under(current, probe, purpose="nik") != crypto.blind_index(probe, purpose="nik"):
            raise CommandError("rotate_keys.index_under no longer matches crypto.blind_index")

    def _reencrypt(
        self, model: type[models.Model], name: str, *, newest: Fernet, size: int, check: bool
    ) -> Counts:
        """Move each ciphertext of `model.name` to the newest key, reading and writing the raw
        column (the field's own conversion would decrypt and encrypt again)."""
        counts = Counts()
        field = model._meta.get_field(name)
        pk_field = model._meta.pk
        assert isinstance(field, models.Field) and field.column  # noqa: S101 - a concrete column
        assert pk_field is not None and pk_field.column  # noqa: S101 - every model has one
        column = connection.ops.quote_name(field.column)
        table = connection.ops.quote_name(model._meta.db_table)
        pk_column = connection.ops.quote_name(pk_field.column)
        rows = model._base_manager.annotate(**{RAW: Cast(name, models.TextField())})
        for batch in _batches(rows, size=size, fields=(RAW,)):
            updates = []
            for pk, token in batch:
                if not token:
                    counts.empty += 1
                    continue
                try:
                    newest.decrypt(token.encode())
                except InvalidToken:
                    pass
                else:
                    counts.current += 1
                    continue
                try:
                    rotated = crypto.reencrypt(token)
                except InvalidToken as error:
                    raise CommandError(
                        _(
                            "%(model)s %(pk)s: its %(field)s cannot be decrypted with any key "
                            "of GARDA_ENCRYPTION_KEYS. Put the missing key back and run again."
                        )
                        % {"model": model._meta.label, "pk": pk, "field": name}
                    ) from error
                counts.changed += 1
                updates.append((rotated, pk_field.get_db_prep_value(pk, connection)))
            if updates and not check:
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s",  # noqa: S608 - quoted names from the model
                        updates,
                    )
        return counts

    def _reindex(
        self,
        model: type[models.Model],
        column: str,
        name: str,
        purpose: str,
        *,
        old_key: str,
        size: int,
        check: bool,
    ) -> Counts:
        """Recompute `model.column` from the decrypted `name` under the current index key."""
        counts = Counts()
        unmatched = 0
        for batch in _batches(model._base_manager.all(), size=size, fields=(name, column)):
            changed = []
            for pk, value, stored in batch:
                if not value:
                    counts.empty += 1
                    continue
                fresh = crypto.blind_index(value, purpose=purpose)
                if stored == fresh:
                    counts.current += 1
                    continue
                if stored != index_under(old_key, value, purpose=purpose):
                    unmatched += 1
                counts.changed += 1
                changed.append(model(pk=pk, **{column: fresh}))
            if changed and not check:
                model._base_manager.bulk_update(changed, [column])
        if unmatched:
            self.stderr.write(
                _(
                    "%(model)s.%(column)s: %(count)s stored indexes matched neither the old nor "
                    "the new key (a wrong OLDKEY?); they were recomputed all the same."
                )
                % {"model": model._meta.label, "column": column, "count": unmatched}
            )
        return counts

    def _report(
        self, model: type[models.Model], name: str, counts: Counts, *, check: bool, index: bool
    ) -> None:
        values = {
            "what": f"{model._meta.label}.{name}",
            "changed": counts.changed,
            "current": counts.current,
            "empty": counts.empty,
        }
        if index and check:
            line = _("%(what)s: %(changed)s to recompute, %(current)s current, %(empty)s empty")
        elif index:
            line = _("%(what)s: %(changed)s recomputed, %(current)s current, %(empty)s empty")
        elif check:
            line = _("%(what)s: %(changed)s to re-encrypt, %(current)s current, %(empty)s empty")
        else:
            line = _("%(what)s: %(changed)s re-encrypted, %(current)s current, %(empty)s empty")
        self.stdout.write(line % values)
