"""Demo monitoring: yearly targets of the default indicators for the years the demo covers, a
Dinas monitoring visit to Kecamatan Belinyu three weeks ago with follow-up actions (two done,
one overdue, one open), and the rollups of the demo's twelve months (those of the demo activity
reports, ending with the current month; see `garda.activities.demo`).

Relative to the day of the run (`timezone.localdate()`). Idempotent: run it again and nothing
is doubled; the visit is made once per demo year (a run a year later records a new one), and the
rollups of the covered months are recomputed (they replace themselves). Call it after the other
demos."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from garda.accounts.models import User
from garda.activities.demo import demo_months
from garda.wilayah.models import Wilayah

from . import rollups, services
from .models import FollowUpStatus, Indicator, MonitoringVisit, Target

ACTOR = "admin"
BELINYU = "19.01.02"
VISIT_DAYS_AGO = 21
TEAM = "Rina Marlina (Kepala Bidang Pemberdayaan Sosial)\nAndi Saputra (Analis Kebijakan)"
BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

# Yearly targets per PSM (a count is spread over the 12 months).
TARGETS = {
    "kegiatan_lapangan": 96,
    "kunjungan_rumah": 48,
    "laporan_terverifikasi": 80,
    "laporan_tepat_waktu": 90,
    "cakupan_keluarga": 10,
    "beban_kasus": 12,
    "respons_pertama": 24,
    "waktu_penutupan": 30,
    "rujukan_selesai": 6,
    "pendampingan_penyaluran": 12,
    "usulan_diajukan": 12,
    "usulan_disahkan": 6,
}


@dataclass
class DemoMonitoring:
    targets: int
    visit_created: bool
    rollup_rows: int


def build_demo_monitoring() -> DemoMonitoring:
    actor = User.objects.get(username=ACTOR)
    today = timezone.localdate()
    months = demo_months(today)
    targets = 0
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=TARGETS)}
    with transaction.atomic():
        for year in sorted({month.year for month in months}):
            for code, value in TARGETS.items():
                if (
                    code in indicators
                    and not Target.objects.filter(
                        indicator=indicators[code], year=year, month=0, wilayah=None
                    ).exists()
                ):
                    Target.objects.create(
                        indicator=indicators[code], year=year, month=0, value=Decimal(value)
                    )
                    targets += 1
    visit_created = False
    if not MonitoringVisit.objects.filter(
        wilayah_id=BELINYU, team=TEAM, visited_on__gte=months[0]
    ).exists():
        _visit(actor, today - datetime.timedelta(days=VISIT_DAYS_AGO))
        visit_created = True
    rows = sum(rollups.rollup_refresh(month) for month in months)
    return DemoMonitoring(targets=targets, visit_created=visit_created, rollup_rows=rows)


@transaction.atomic
def _visit(actor: User, day: datetime.date) -> MonitoringVisit:
    """The visit on `day` (in the past) and its follow-ups: two done a few days later, one
    due a week after the visit and still open (overdue), one due in three months."""
    before = rollups.previous_month(day.replace(day=1))
    visit = services.visit_record(
        actor=actor,
        wilayah=Wilayah.objects.get(code=BELINYU),
        visited_on=day,
        team=TEAM,
        scores={
            "productivity": 4,
            "service_quality": 3,
            "responsiveness": 3,
            "responsibility": 4,
            "accountability": 2,
        },
        findings=(
            "Sebagian besar PSM aktif melakukan kunjungan rumah dan melaporkannya lewat Garda. "
            f"Laporan bulan {BULAN[before.month - 1]} banyak yang terlambat (lewat tanggal 5) "
            "dan sebagian belum dilengkapi foto. Dua desa belum memiliki PSM aktif."
        ),
        recommendations=(
            "Koordinator kecamatan memeriksa laporan setiap minggu. PSM mengirim laporan paling "
            "lambat tanggal 5 bulan berikutnya. Desa tanpa PSM mengusulkan calon PSM."
        ),
    )
    done = [
        (
            "Pelatihan singkat pengisian laporan kegiatan dengan foto dan GPS",
            "Koordinator IPSM Kecamatan Belinyu",
            14,
            10,
            "Pelatihan diadakan di kantor camat, 18 PSM hadir.",
        ),
        (
            "Surat edaran camat tentang batas waktu laporan bulanan tanggal 5",
            "Kasi Kesejahteraan Sosial Kecamatan Belinyu",
            7,
            4,
            "Surat edaran dikirim ke semua desa dan grup WhatsApp PSM.",
        ),
    ]
    for description, owner, due_in, done_in, note in done:
        action = services.follow_up_add(
            actor=actor,
            visit=visit,
            description=description,
            owner=owner,
            due_on=day + datetime.timedelta(days=due_in),
        )
        services.follow_up_set_status(
            actor=actor,
            action=action,
            status=FollowUpStatus.DONE,
            done_on=day + datetime.timedelta(days=done_in),
            note=note,
        )
    services.follow_up_add(
        actor=actor,
        visit=visit,
        description="Usulan calon PSM untuk desa yang belum memiliki PSM aktif",
        owner="Kepala desa bersama koordinator kecamatan",
        due_on=day + datetime.timedelta(days=14),  # a week ago: overdue
    )
    services.follow_up_add(
        actor=actor,
        visit=visit,
        description="Evaluasi ketepatan waktu laporan setelah tiga bulan",
        owner="Bidang Pemberdayaan Sosial Dinas Sosial",
        due_on=day + datetime.timedelta(days=90),
    )
    return visit
