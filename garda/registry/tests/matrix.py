"""Authorization matrix entries of the residents registry (see garda/core/tests/matrix.py)."""

from django.core.files.base import ContentFile

from garda.accounts.roles import Perm
from garda.core.tests.matrix import Ctx, Entry, page, scoped
from garda.registry.models import DuplicateCandidate, ImportJob, Individu, Keluarga, PpksStatus
from garda.registry.privacy import EXPORT_PERMISSION, HISTORY_PERMISSIONS
from garda.registry.tests.factories import assign_ppks, register_family


def keluarga_in(ctx: Ctx) -> Keluarga:
    """A household of two in the region (made once)."""
    return ctx.world.once(("keluarga", ctx.code), lambda: register_family(code=ctx.code, members=1))


def individu_in(ctx: Ctx) -> Individu:
    return Individu.objects.filter(keluarga=keluarga_in(ctx)).order_by("created_at").first()  # type: ignore[return-value]


def keluarga_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": keluarga_in(ctx).pk}


def individu_kwargs(ctx: Ctx) -> dict[str, object]:
    return {"pk": individu_in(ctx).pk}


def ppks_kwargs(ctx: Ctx) -> dict[str, object]:
    def make() -> PpksStatus:
        return assign_ppks(individu_in(ctx), evidence=True)

    return {"pk": ctx.world.once(("ppks", ctx.code), make).pk}


def candidate_kwargs(ctx: Ctx) -> dict[str, object]:
    def make() -> DuplicateCandidate:
        first, second = Individu.objects.filter(keluarga=keluarga_in(ctx)).order_by("created_at")
        return DuplicateCandidate.objects.create(
            first=first, second=second, wilayah_id=ctx.code, score=80, reasons=["uji"]
        )

    return {"pk": ctx.world.once(("candidate", ctx.code), make).pk}


def job_kwargs(ctx: Ctx) -> dict[str, object]:
    def make() -> ImportJob:
        job = ImportJob(wilayah_id=ctx.code, file_name="uji.csv", sha256="0" * 64)
        job.file.save("uji.csv", ContentFile(b"nik,nama\n"), save=False)
        job.problems_file.save("masalah.csv", ContentFile(b"baris,masalah\n"), save=False)
        job.save()
        return job

    return {"pk": ctx.world.once(("registry-import", ctx.code), make).pk}


people = Perm.VIEW_PEOPLE
manage = Perm.MANAGE_RESIDENTS
merge = Perm.MERGE_DUPLICATES
reveal = Perm.REVEAL_IDENTIFIERS
assert HISTORY_PERMISSIONS and EXPORT_PERMISSION

ENTRIES: dict[str, Entry] = {
    "registry:search": page(people),
    "registry:keluarga_create": page(manage),
    "registry:keluarga_detail": scoped(people, keluarga_kwargs),
    "registry:keluarga_update": scoped(manage, keluarga_kwargs),
    "registry:keluarga_move": scoped(manage, keluarga_kwargs),
    "registry:member_add": scoped(manage, keluarga_kwargs),
    "registry:keluarga_ppks_add": scoped(manage, keluarga_kwargs),
    "registry:reveal_no_kk": scoped(reveal, keluarga_kwargs, method="post"),
    "registry:ppks_evidence": scoped(people, ppks_kwargs),
    "registry:ppks_resolve": scoped(manage, ppks_kwargs),
    "registry:individu_detail": scoped(people, individu_kwargs),
    "registry:individu_update": scoped(manage, individu_kwargs),
    "registry:individu_ppks_add": scoped(manage, individu_kwargs),
    "registry:reveal_nik": scoped(reveal, individu_kwargs, method="post"),
    "registry:duplicates": page(merge),
    "registry:duplicate_merge": scoped(merge, candidate_kwargs, method="post", ok=302),
    "registry:duplicate_dismiss": scoped(merge, candidate_kwargs, method="post", ok=302),
    "registry:access_history": scoped(HISTORY_PERMISSIONS, individu_kwargs),
    "registry:subject_export_json": scoped(EXPORT_PERMISSION, individu_kwargs),
    "registry:subject_export_pdf": scoped(EXPORT_PERMISSION, individu_kwargs),
    "registry:import": page(manage),
    "registry:import_detail": scoped(manage, job_kwargs),
    "registry:import_apply": scoped(manage, job_kwargs, method="post", ok=302),
    "registry:import_retry": scoped(manage, job_kwargs, method="post", ok=302),
    "registry:import_problems": scoped(manage, job_kwargs),
}
