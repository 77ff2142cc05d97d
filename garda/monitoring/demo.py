"""Demo monitoring: yearly targets of the default indicators, a Dinas monitoring visit to
Kecamatan Belinyu with follow-up actions (one done, one late, one open), and the rollups of
the demo year (2025, the year of the demo activity reports) up to the current month.
Idempotent: run it again and nothing is doubled. Call it after the other demos."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from garda.accounts.models import User
from garda.wilayah.models import Wilayah

from . import rollups, services
from .models import FollowUpStatus, Indicator, MonitoringVisit, Target

ACTOR = "admin"
BELINYU = "19.01.02"
FIRST_MONTH = datetime.date(2025, 1, 1)
VISIT_DAY = datetime.date(2025, 12, 10)
TEAM = "Rina Marlina (Kepala Bidang Pemberdayaan Sosial)\nAndi Saputra (Analis Kebijakan)"

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


def _months(until: datetime.date) -> list[datetime.date]:
    months = [FIRST_MONTH]
    while months[-1] < until:
        months.append(rollups.next_month(months[-1]))
    return months


def build_demo_monitoring() -> DemoMonitoring:
    actor = User.objects.get(username=ACTOR)
    today = timezone.localdate()
    targets = 0
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=TARGETS)}
    with transaction.atomic():
        for year in range(FIRST_MONTH.year, today.year + 1):
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
    if not MonitoringVisit.objects.filter(wilayah_id=BELINYU, visited_on=VISIT_DAY).exists():
        _visit(actor, today)
        visit_created = True
    rows = sum(rollups.rollup_refresh(month) for month in _months(today.replace(day=1)))
    return DemoMonitoring(targets=targets, visit_created=visit_created, rollup_rows=rows)


@transaction.atomic
def _visit(actor: User, today: datetime.date) -> MonitoringVisit:
    visit = services.visit_record(
        actor=actor,
        wilayah=Wilayah.objects.get(code=BELINYU),
        visited_on=VISIT_DAY,
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
            "Laporan bulan November banyak yang terlambat (lewat tanggal 5) dan sebagian belum "
            "dilengkapi foto. Dua desa belum memiliki PSM aktif."
        ),
        recommendations=(
            "Koordinator kecamatan memeriksa laporan setiap minggu. PSM mengirim laporan paling "
            "lambat tanggal 5 bulan berikutnya. Desa tanpa PSM mengusulkan calon PSM."
        ),
    )
    done = services.follow_up_add(
        actor=actor,
        visit=visit,
        description="Pelatihan singkat pengisian laporan kegiatan dengan foto dan GPS",
        owner="Koordinator IPSM Kecamatan Belinyu",
        due_on=datetime.date(2026, 1, 15),
    )
    services.follow_up_set_status(
        actor=actor,
        action=done,
        status=FollowUpStatus.DONE,
        done_on=datetime.date(2026, 1, 12),
        note="Pelatihan diadakan di kantor camat, 18 PSM hadir.",
    )
    services.follow_up_add(
        actor=actor,
        visit=visit,
        description="Usulan calon PSM untuk desa yang belum memiliki PSM aktif",
        owner="Kepala desa bersama koordinator kecamatan",
        due_on=datetime.date(2026, 3, 31),
    )
    services.follow_up_add(
        actor=actor,
        visit=visit,
        description="Evaluasi ketepatan waktu laporan setelah tiga bulan",
        owner="Bidang Pemberdayaan Sosial Dinas Sosial",
        due_on=max(today + datetime.timedelta(days=30), datetime.date(2026, 4, 30)),
    )
    return visit
