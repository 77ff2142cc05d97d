"""The notices of an incident (UU 27/2022 art. 46): the letter to the personal data protection
authority (PDF with the letterhead and the head of office's signature) and the list of the
residents concerned for the notice to data subjects (XLSX).

The letter names nobody: it gives the data affected, when and how, the measures taken and the
number of people concerned per desa. The list holds names and addresses, with the NIK in full
only where the reader may reveal identifiers. Each download is an `export` in the audit trail.
"""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from garda.accounts.models import User
from garda.accounts.roles import Perm
from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.core.errors import NotAllowed
from garda.core.pdf import JAKARTA, render_pdf, signatory
from garda.core.scoping import is_within
from garda.reports import xlsx
from garda.wilayah.models import Wilayah

from . import selectors
from .models import Incident

READ = Perm.VIEW_PRIVACY


def _check_reads(actor: User, incident: Incident) -> None:
    if not actor.can_in(READ, incident.wilayah_id):
        raise NotAllowed(_("You may not read the incidents of this area."))


def filename(incident: Incident, what: str, extension: str) -> str:
    return f"{slugify(incident.number.replace('/', '-'))}-{what}.{extension}"


def authority_letter(*, actor: User, incident: Incident) -> bytes:
    """The letter to the authority, as PDF; the download is recorded."""
    _check_reads(actor, incident)
    affected = selectors.affected_summary(incident)
    content = render_pdf(
        "privacy/pdf_authority_letter.html",
        {
            "incident": incident,
            "affected": affected,
            "deadline": incident.deadline_status(),
            "steps": selectors.incident_timeline(incident),
            "signatory": signatory(),
        },
    )
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        obj=incident,
        reason=_("Letter to the personal data protection authority (PDF)"),
        changes={"people": [None, affected.total]},
    )
    return content


def _parent_name(desa: Wilayah) -> str:
    return desa.parent.name if desa.parent else ""


def _shown_time(value: datetime.datetime | None) -> str:
    return f"{timezone.localtime(value, JAKARTA):%d/%m/%Y %H:%M}" if value else ""


def subjects_workbook(*, actor: User, incident: Incident) -> bytes:
    """The residents concerned, for the notice to data subjects, as XLSX; the download is
    recorded with how many rows and how many full NIKs it held."""
    _check_reads(actor, incident)
    residents = selectors.affected_residents(incident)
    reveal_areas = actor.areas_for(Perm.REVEAL_IDENTIFIERS)
    yes = _("yes")
    rows, revealed = [], 0
    for number, resident in enumerate(residents, start=1):
        person, keluarga = resident.individu, resident.individu.keluarga
        desa = person.wilayah
        full = any(is_within(desa.code, area) for area in reveal_areas)
        revealed += full
        rows.append(
            [
                number,
                person.nik if full else person.nik_masked,
                person.name,
                keluarga.address,
                keluarga.rt,
                keluarga.rw,
                keluarga.dusun,
                desa.name,
                _parent_name(desa),
                resident.desa_then.name,
                yes if resident.read else "",
                yes if resident.revealed else "",
                yes if resident.exported else "",
                _shown_time(resident.first_at),
                _shown_time(resident.last_at),
            ]
        )
    book = xlsx.new_workbook()
    xlsx.add_sheet(
        book,
        title=_("Residents concerned"),
        columns=[
            xlsx.Column(_("No."), xlsx.Kind.NUMBER, width=6),
            xlsx.Column(_("NIK"), width=20),
            xlsx.Column(_("Name"), width=26),
            xlsx.Column(_("Address"), width=28),
            xlsx.Column(_("RT"), width=6),
            xlsx.Column(_("RW"), width=6),
            xlsx.Column(_("Dusun"), width=14),
            xlsx.Column(_("Desa/kelurahan"), width=18),
            xlsx.Column(_("Kecamatan"), width=18),
            xlsx.Column(_("Desa when found"), width=18),
            xlsx.Column(_("Record read"), width=10),
            xlsx.Column(_("Identifier revealed"), width=12),
            xlsx.Column(_("Exported"), width=10),
            xlsx.Column(_("First time"), width=17),
            xlsx.Column(_("Last time"), width=17),
        ],
        rows=rows,
    )
    summary = selectors.affected_summary(incident)
    xlsx.add_sheet(
        book,
        title=_("By desa"),
        columns=[
            xlsx.Column(_("Code"), width=16),
            xlsx.Column(_("Desa/kelurahan"), width=22),
            xlsx.Column(_("Kecamatan"), width=22),
            xlsx.Column(_("Residents"), xlsx.Kind.NUMBER, width=12),
        ],
        rows=[
            [row.desa.code, row.desa.name, _parent_name(row.desa), row.people]
            for row in summary.by_desa
        ],
    )
    xlsx.add_sheet(
        book,
        title=_("Incident"),
        columns=[xlsx.Column(_("Item"), width=34), xlsx.Column(_("Value"), width=60)],
        rows=[
            [_("Number"), incident.number],
            [_("Short title"), incident.title],
            [_("Discovered at"), _shown_time(incident.discovered_at)],
            [_("Notice due by"), _shown_time(incident.deadline)],
            [_("Data affected"), ", ".join(incident.data_kind_labels())],
            [_("Residents on this list"), summary.residents],
            [_("Data subjects outside the registry"), incident.other_subjects],
            [_("Controller"), settings.GARDA_OFFICE_NAME],
        ],
    )
    content = xlsx.workbook_bytes(book)
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        obj=incident,
        reason=_("Residents concerned, for the notice to data subjects (XLSX)"),
        changes={"rows": [None, len(rows)], "identifiers_revealed": [None, revealed]},
    )
    return content
