"""Authorization matrix entries of the pilar app (see garda/core/tests/matrix.py)."""

import hashlib

from django.core.files.base import ContentFile

from garda.accounts.roles import Perm, Role
from garda.core.testing import LUMUT
from garda.core.tests.matrix import Ctx, Entry, page, scoped
from garda.pilar.importer import import_template
from garda.pilar.models import ImportBatch, Pilar
from garda.pilar.tests.factories import add_decree, appoint, register_psm


def pilar_in(ctx: Ctx) -> Pilar:
    """In Lumut, the matrix PSM's own profile; elsewhere a PSM serving there."""
    if ctx.code == LUMUT:
        return Pilar.objects.get(user=ctx.world.users[Role.PSM])
    return ctx.world.once(("pilar", ctx.code), lambda: register_psm(code=ctx.code))


def pilar_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": pilar_in(ctx).pk}


def decree_kwargs(ctx: Ctx) -> dict[str, object]:
    pilar = pilar_in(ctx)
    decree = ctx.world.once(("decree", ctx.code), lambda: add_decree(pilar))
    return {"pk": pilar.pk, "kind": "decree", "file_id": decree.pk}


def officer_kwargs(ctx: Ctx) -> dict[str, object]:
    """The chair of the IPSM of the region's kecamatan."""
    kecamatan = ".".join(ctx.code.split(".")[:3])

    def make() -> object:
        return appoint(register_psm(code=ctx.code), code=kecamatan)

    return {"pk": ctx.world.once(("officer", kecamatan), make).pk}


def batch_kwargs(ctx: Ctx) -> dict[str, object]:
    def make() -> ImportBatch:
        content = import_template()
        batch = ImportBatch(
            wilayah_id=ctx.code,
            file_name="uji.xlsx",
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=ctx.world.users[Role.ADMIN_DINAS],
        )
        batch.file.save("uji.xlsx", ContentFile(content), save=False)
        batch.save()
        return batch

    return {"pk": ctx.world.once(("pilar-import", ctx.code), make).pk}


KOORDINATOR, OPERATOR_DESA, PIMPINAN = Role.KOORDINATOR, Role.OPERATOR_DESA, Role.PIMPINAN
people = Perm.VIEW_PEOPLE
manage = Perm.MANAGE_PILAR
# A member edits their own profile and adds their own trainings; Dinas (manage_pilar) anyone's.
# The others who may read the profile are refused.
OWN_PROFILE_ONLY = {f"{role}:own": 403 for role in (PIMPINAN, KOORDINATOR, OPERATOR_DESA)}

ENTRIES: dict[str, Entry] = {
    "pilar:list": page(people),
    # A member's own profile; someone without one finds nothing.
    "pilar:mine": page(people, ok=404, over={str(Role.PSM): 302}),
    "pilar:create": page(manage),
    "pilar:officer_list": page(people),
    "pilar:officer_grant_coordinator": scoped(
        Perm.MANAGE_USERS, officer_kwargs, method="post", ok=302
    ),
    "pilar:detail": scoped(people, pilar_kwargs),
    "pilar:update": scoped(people, pilar_kwargs, over=OWN_PROFILE_ONLY),
    "pilar:reveal_nik": scoped(Perm.REVEAL_IDENTIFIERS, pilar_kwargs, method="post"),
    "pilar:status": scoped(manage, pilar_kwargs),
    "pilar:move": scoped(manage, pilar_kwargs),
    "pilar:decree_add": scoped(manage, pilar_kwargs),
    "pilar:training_add": scoped(people, pilar_kwargs, over=OWN_PROFILE_ONLY),
    "pilar:officer_appoint": scoped(manage, pilar_kwargs),
    "pilar:account_create": scoped(Perm.MANAGE_USERS, pilar_kwargs),
    "pilar:file": scoped(people, decree_kwargs),
    "pilar:import": page(manage),
    "pilar:import_template": page(manage),
    "pilar:import_detail": scoped(manage, batch_kwargs),
    "pilar:import_apply": scoped(manage, batch_kwargs, method="post", ok=302),
    "pilar:export": page(people),
    # The coverage of the object region's kecamatan (?wilayah=, a kecamatan or wider).
    "pilar:coverage": scoped(
        Perm.VIEW_AGGREGATES,
        lambda ctx: {"_query": f"wilayah={'.'.join(ctx.code.split('.')[:3])}"},
    ),
}
