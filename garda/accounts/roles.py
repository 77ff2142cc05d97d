"""Roles are assignments (user, role, region); a permission is what a role may do in its region."""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

from garda.wilayah.models import Level


class Role(models.TextChoices):
    ADMIN_DINAS = "admin_dinas", _("Dinas administrator")
    STAF_DINAS = "staf_dinas", _("Dinas staff")
    PIMPINAN = "pimpinan", _("Head of office")
    KOORDINATOR = "koordinator", _("Kecamatan coordinator (IPSM/TKSK)")
    PSM = "psm", _("Community social worker (PSM)")
    OPERATOR_DESA = "operator_desa", _("Village operator")
    VIEWER = "viewer", _("Viewer (aggregates only)")


class Perm(StrEnum):
    VIEW_REGIONS = "view_regions"
    VIEW_PEOPLE = "view_people"  # names and details of people, not only counts
    VIEW_AGGREGATES = "view_aggregates"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    MANAGE_PILAR = "manage_pilar"  # register social workers, their status, decrees, trainings
    REVEAL_IDENTIFIERS = "reveal_identifiers"  # see a full NIK / No KK (each reveal is logged)
    MANAGE_RESIDENTS = "manage_residents"  # register and correct households and residents
    MERGE_DUPLICATES = "merge_duplicates"  # decide on likely duplicate residents
    MANAGE_PROGRAMS = "manage_programs"  # programme catalogue: rules, quotas, periods
    ENROL = "enrol"  # enrol, suspend and end participants of a programme
    RECORD_DISTRIBUTIONS = "record_distributions"  # what each participant received, and proof
    PROPOSE = "propose"  # proposals (usulan) and objections (sanggah) from the village
    RECORD_DELIBERATION = "record_deliberation"  # the village deliberation (musdes/muskel)
    VERIFY_PROPOSALS = "verify_proposals"  # Dinas verification, bupati approval, objections
    VIEW_CASES = "view_cases"  # read social cases, their timeline and files
    HANDLE_CASES = "handle_cases"  # open, assess, plan, refer and follow social cases
    APPROVE_CASE_CLOSING = "approve_case_closing"  # the coordinator's approval to close a case
    MANAGE_INSTITUTIONS = "manage_institutions"  # the list of institutions cases are referred to
    REPORT_ACTIVITIES = "report_activities"  # field activity reports and meetings, offline sync
    VERIFY_ACTIVITIES = "verify_activities"  # verify or return activity reports
    MANAGE_MONITORING = "manage_monitoring"  # indicators, targets, monitoring visits
    MANAGE_PRIVACY = "manage_privacy"  # record personal-data incidents, trace and notify them
    VIEW_PRIVACY = "view_privacy"  # read personal-data incidents and their notices


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN_DINAS: frozenset(Perm),
    Role.STAF_DINAS: frozenset(
        {
            Perm.VIEW_REGIONS,
            Perm.VIEW_PEOPLE,
            Perm.VIEW_AGGREGATES,
            Perm.MANAGE_PILAR,
            Perm.REVEAL_IDENTIFIERS,
            Perm.MANAGE_RESIDENTS,
            Perm.MERGE_DUPLICATES,
            Perm.MANAGE_PROGRAMS,
            Perm.ENROL,
            Perm.RECORD_DISTRIBUTIONS,
            Perm.VERIFY_PROPOSALS,
            Perm.VIEW_CASES,
            Perm.HANDLE_CASES,
            Perm.APPROVE_CASE_CLOSING,
            Perm.MANAGE_INSTITUTIONS,
            Perm.VERIFY_ACTIVITIES,
            Perm.MANAGE_MONITORING,
        }
    ),
    Role.PIMPINAN: frozenset(
        {
            Perm.VIEW_REGIONS,
            Perm.VIEW_PEOPLE,
            Perm.VIEW_AGGREGATES,
            Perm.VIEW_AUDIT,
            Perm.VIEW_CASES,
            Perm.VIEW_PRIVACY,
        }
    ),
    Role.KOORDINATOR: frozenset(
        {
            Perm.VIEW_REGIONS,
            Perm.VIEW_PEOPLE,
            Perm.VIEW_AGGREGATES,
            Perm.MANAGE_RESIDENTS,
            Perm.RECORD_DISTRIBUTIONS,
            Perm.PROPOSE,
            Perm.VIEW_CASES,
            Perm.HANDLE_CASES,
            Perm.APPROVE_CASE_CLOSING,
            Perm.REPORT_ACTIVITIES,
            Perm.VERIFY_ACTIVITIES,
        }
    ),
    Role.PSM: frozenset(
        {
            Perm.VIEW_REGIONS,
            Perm.VIEW_PEOPLE,
            Perm.MANAGE_RESIDENTS,
            Perm.RECORD_DISTRIBUTIONS,
            Perm.PROPOSE,
            Perm.VIEW_CASES,
            Perm.HANDLE_CASES,
            Perm.REPORT_ACTIVITIES,
        }
    ),
    Role.OPERATOR_DESA: frozenset(
        {
            Perm.VIEW_REGIONS,
            Perm.VIEW_PEOPLE,
            Perm.MANAGE_RESIDENTS,
            Perm.PROPOSE,
            Perm.RECORD_DELIBERATION,
        }
    ),
    Role.VIEWER: frozenset({Perm.VIEW_REGIONS, Perm.VIEW_AGGREGATES}),
}

# The region levels at which each role may be assigned.
ROLE_LEVELS: dict[str, frozenset[int]] = {
    Role.ADMIN_DINAS: frozenset({Level.PROVINSI, Level.KABUPATEN}),
    Role.STAF_DINAS: frozenset({Level.PROVINSI, Level.KABUPATEN}),
    Role.PIMPINAN: frozenset({Level.PROVINSI, Level.KABUPATEN}),
    Role.KOORDINATOR: frozenset({Level.KECAMATAN}),
    Role.PSM: frozenset({Level.DESA}),
    Role.OPERATOR_DESA: frozenset({Level.DESA}),
    Role.VIEWER: frozenset({Level.PROVINSI, Level.KABUPATEN, Level.KECAMATAN}),
}

DINAS_ROLES = frozenset({Role.ADMIN_DINAS, Role.STAF_DINAS, Role.PIMPINAN})
