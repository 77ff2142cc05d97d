"""Demo field activities for Kabupaten Bangka: a year (2025) of activity reports of every
active demo PSM, and a monthly coordination meeting per kecamatan.

Deterministic: a seeded generator per PSM (seeded by the PSM's name and desa, not by database
ids), fixed dates, no wall clock. Idempotent: every report, photo and meeting has a UUID derived
from what it is (uuid5), and only what is missing is written, so a second run creates nothing.

Realistic variation: some PSMs are very active (8-12 reports a month), most report a few times
a month, a few hardly at all and some stop for months; busy months (distributions in March and
September, the flood season in December-January) have more. Reports of the year's last month
are still waiting (submitted), a few are returned or drafts; earlier ones are mostly verified.
Home visits and ground checks link a household of the desa and carry the GPS point near it;
reports of the pilot kecamatan Belinyu in the last quarter have small photos.

Depends on the demo accounts, pillars (`build_demo_pillars`) and residents
(`build_demo_residents`). Written with `bulk_create` and one audit event, like the residents.
"""

import datetime
import io
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image

from garda.accounts.models import User
from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.pilar.models import PSM, Pilar, Status
from garda.registry.demo import CENTRES
from garda.registry.models import Keluarga
from garda.wilayah.models import Wilayah

from .models import (
    Activity,
    ActivityEvent,
    ActivityType,
    Meeting,
    MeetingTask,
    Photo,
)
from .models import Status as ReportStatus

NAMESPACE = uuid.UUID("5b0f9a52-6a43-4c59-9f0e-1a2b3c4d5e6f")
YEAR = 2025
MONTHS = range(1, 13)
PILOT_KECAMATAN = "19.01.02"
PHOTO_MONTHS = (10, 11, 12)
ACTOR = "admin"

# (type code, weight, participants range, links a household)
MIX = [
    ("kunjungan_rumah", 30, (1, 6), True),
    ("verifikasi_lapangan", 18, (1, 5), True),
    ("pendampingan_program", 14, (5, 40), False),
    ("penyaluran", 10, (20, 120), False),
    ("penanganan_kasus", 8, (1, 4), True),
    ("sosialisasi", 8, (15, 80), False),
    ("rapat_koordinasi", 6, (6, 25), False),
    ("pelatihan", 3, (10, 40), False),
    ("tanggap_bencana", 3, (5, 60), False),
]
BUSY = {3: 1.3, 9: 1.3, 12: 1.4, 1: 1.2, 6: 0.8}

DESCRIPTIONS = {
    "kunjungan_rumah": [
        "Kunjungan ke rumah lansia yang tinggal sendiri; kondisi kesehatan menurun, "
        "perlu pendampingan ke puskesmas.",
        "Kunjungan rumah keluarga penerima PKH; anak sekolah rutin, dokumen lengkap.",
        "Kunjungan ke penyandang disabilitas; kursi roda rusak, diusulkan bantuan ATENSI.",
        "Kunjungan rumah keluarga dengan atap bocor; dicatat untuk usulan Rutilahu.",
    ],
    "verifikasi_lapangan": [
        "Ground check DTSEN: rumah difoto depan dan dalam, KK dicocokkan.",
        "Verifikasi usulan baru: keluarga tinggal di alamat, pekerjaan buruh harian.",
        "Verifikasi sanggah warga: penerima memiliki usaha toko, dilaporkan ke desa.",
    ],
    "pendampingan_program": [
        "Pendampingan pertemuan kelompok PKH di balai desa.",
        "Pendampingan pencairan BPNT di e-warong.",
        "Pendampingan pendaftaran PBI-JK di kantor desa.",
    ],
    "penyaluran": [
        "Pendampingan penyaluran Program Sembako di kantor pos.",
        "Penyaluran BLT Dana Desa tahap ini di balai desa.",
    ],
    "penanganan_kasus": [
        "Penanganan anak putus sekolah; koordinasi dengan sekolah dan orang tua.",
        "Penanganan lansia terlantar; dirujuk ke layanan kesehatan.",
    ],
    "sosialisasi": [
        "Sosialisasi pencegahan kekerasan terhadap anak bersama PKK.",
        "Sosialisasi pemutakhiran DTSEN kepada ketua RT.",
    ],
    "rapat_koordinasi": ["Rapat koordinasi dengan perangkat desa tentang usulan bulan ini."],
    "pelatihan": ["Mengikuti bimbingan teknis pendataan dari Dinas Sosial."],
    "tanggap_bencana": [
        "Pendataan warga terdampak banjir; kebutuhan mendesak: makanan dan selimut.",
        "Distribusi logistik banjir bersama Tagana.",
    ],
}


@dataclass(frozen=True)
class DemoActivities:
    reports: int
    created: int
    meetings: int


def _key(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "|".join(str(p) for p in parts))


def _moment(year: int, month: int, day: int, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


def _month_days(month: int) -> int:
    following = datetime.date(YEAR + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def _rate(rng: random.Random) -> float:
    """Reports a month: very active, ordinary, hardly active."""
    kind = rng.random()
    if kind < 0.2:
        return rng.uniform(8, 12)
    if kind < 0.8:
        return rng.uniform(3, 6)
    return rng.uniform(0.3, 1.5)


def _fate(rng: random.Random, month: int) -> str:
    roll = rng.random()
    if month == 12:
        return "draft" if roll < 0.08 else "returned" if roll < 0.18 else "submitted"
    if month == 11:
        return "submitted" if roll < 0.2 else "returned" if roll < 0.25 else "verified"
    return "returned" if roll < 0.04 else "verified"


def _point(rng: random.Random, centre: tuple[float, float]) -> tuple[Decimal, Decimal]:
    lat = centre[0] + rng.uniform(-0.03, 0.03)
    lon = centre[1] + rng.uniform(-0.03, 0.03)
    return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")


def _jpeg(rng: random.Random) -> bytes:
    colour = (rng.randint(60, 200), rng.randint(60, 200), rng.randint(60, 200))
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


@transaction.atomic
def build_demo_activities() -> DemoActivities:
    """Create what of the demo year is missing. Returns how many reports the plan has, how many
    were created now, and how many meetings exist."""
    actor = User.objects.get(username=ACTOR)
    types = {t.code: t for t in ActivityType.objects.all()}
    koords = {
        u.wilayah_id: u
        for u in User.objects.filter(username__startswith="koord.", wilayah__isnull=False)
    }
    members = list(
        Pilar.objects.within("19.01")
        .filter(jenis__code=PSM)
        .exclude(status__in=[Status.CALON])
        .select_related("wilayah", "user")
        .order_by("wilayah_id", "name")
    )
    households: dict[str, list[Keluarga]] = {}
    for row in (
        Keluarga.objects.within("19.01")
        .order_by("no_kk_hash")
        .only("id", "wilayah_id", "latitude", "longitude")
    ):
        households.setdefault(row.wilayah_id, []).append(row)
    existing = set(Activity.objects.values_list("client_uuid", flat=True))

    new_reports: list[Activity] = []
    links: list[tuple[uuid.UUID, uuid.UUID]] = []
    events: list[ActivityEvent] = []
    photos: list[Photo] = []
    created_at: dict[uuid.UUID, datetime.datetime] = {}
    event_times: dict[uuid.UUID, datetime.datetime] = {}
    planned = 0
    for pilar in members:
        rng = random.Random(f"{pilar.name}|{pilar.wilayah_id}")  # noqa: S311 - demo data
        rate = _rate(rng)
        # Inactive or resigned members stopped reporting some months before the year's end.
        last_month = 12 if pilar.status == Status.AKTIF else rng.randint(3, 8)
        pause = rng.randint(1, 12) if rng.random() < 0.25 else 0
        kecamatan = pilar.wilayah.parent_id or ""
        centre = CENTRES.get(kecamatan, (-1.85, 105.95))
        koord = koords.get(kecamatan)
        for month in MONTHS:
            if month > last_month or month in (pause, pause + 1):
                continue
            count = max(0, round(rng.gauss(rate * BUSY.get(month, 1.0), 1.2)))
            for n in range(count):
                planned += 1
                key = _key("activity", pilar.name, pilar.wilayah_id, YEAR, month, n)
                code, _weight, (low, high), links_household = rng.choices(
                    MIX, weights=[m[1] for m in MIX]
                )[0]
                day = rng.randint(1, _month_days(month))
                when = _moment(YEAR, month, day, rng.randint(8, 16), rng.choice((0, 15, 30, 45)))
                fate = _fate(rng, month)
                household: Keluarga | None = None
                desa_households = households.get(pilar.wilayah_id) or []
                if links_household and desa_households:
                    household = rng.choice(desa_households)
                lat, lon = _point(rng, centre)
                if household is not None and household.latitude and household.longitude:
                    lat, lon = household.latitude, household.longitude
                with_gps = rng.random() < 0.85
                accuracy = rng.randint(4, 40)
                description = rng.choice(DESCRIPTIONS[code])
                participants = rng.randint(low, high)
                photo_count = (
                    rng.randint(1, 3)
                    if kecamatan == PILOT_KECAMATAN and month in PHOTO_MONTHS
                    else 0
                )
                photo_seeds = [rng.random() for _ in range(photo_count)]
                submitted = when + datetime.timedelta(hours=rng.randint(1, 30))
                decided = submitted + datetime.timedelta(days=rng.randint(1, 6))
                if key in existing:  # after every draw, so the plan is the same each run
                    continue
                verifier = koord if koord is not None and koord.pk != pilar.user_id else actor
                activity = Activity(
                    id=_key("activity-row", key),
                    client_uuid=key,
                    jenis=types[code],
                    pilar=pilar,
                    reported_by=pilar.user,
                    wilayah_id=pilar.wilayah_id,
                    occurred_at=when,
                    latitude=lat if with_gps else None,
                    longitude=lon if with_gps else None,
                    accuracy_m=accuracy if with_gps else None,
                    description=description,
                    participants=participants,
                    status=fate,
                    return_reason="Lengkapi foto kegiatan dan jumlah peserta."
                    if fate == "returned"
                    else "",
                    submitted_at=submitted if fate != "draft" else None,
                    verified_at=decided if fate == "verified" else None,
                    verified_by=verifier if fate == "verified" else None,
                    version={"draft": 1, "submitted": 2}.get(fate, 3),
                )
                new_reports.append(activity)
                if household is not None:
                    links.append((activity.id, household.id))
                steps: list[tuple[str, str, User | None, datetime.datetime, str]] = [
                    ("", "draft", pilar.user, when, "")
                ]
                if fate != "draft":
                    steps.append(
                        (ReportStatus.DRAFT, ReportStatus.SUBMITTED, pilar.user, submitted, "")
                    )
                if fate in ("verified", "returned"):
                    steps.append(("submitted", fate, verifier, decided, activity.return_reason))
                created_at[key] = when
                for index, (before, after, who, at, note) in enumerate(steps):
                    event_times[_key("event", key, index)] = at
                    events.append(
                        ActivityEvent(
                            id=_key("event", key, index),
                            activity=activity,
                            actor=who,
                            from_status=before,
                            to_status=after,
                            note=note,
                        )
                    )
                for index, seed in enumerate(photo_seeds):
                    photo_key = _key("photo", key, index)
                    name = default_storage.save(
                        f"kegiatan/foto/{photo_key.hex}.jpg",
                        ContentFile(_jpeg(random.Random(seed))),  # noqa: S311 - demo data
                    )
                    photos.append(
                        Photo(
                            id=_key("photo-row", photo_key),
                            activity=activity,
                            client_uuid=photo_key,
                            file=name,
                            taken_at=when,
                            latitude=activity.latitude,
                            longitude=activity.longitude,
                            size=default_storage.size(name),
                        )
                    )
    Activity.objects.bulk_create(new_reports, batch_size=500)
    Activity.households.through.objects.bulk_create(
        [Activity.households.through(activity_id=a, keluarga_id=k) for a, k in links],
        batch_size=1000,
    )
    ActivityEvent.objects.bulk_create(events, batch_size=1000)
    Photo.objects.bulk_create(photos, batch_size=500)
    # The timeline shows when each step happened, not when the demo was loaded.
    for report in new_reports:
        report.created_at = created_at[report.client_uuid]
    for event in events:
        event.created_at = event_times[event.id]
    Activity.objects.bulk_update(new_reports, ["created_at"], batch_size=500)
    ActivityEvent.objects.bulk_update(events, ["created_at"], batch_size=1000)
    meetings = _meetings(actor, koords, members)
    if new_reports:
        audit_record(
            actor=actor,
            action=Action.CREATE,
            object_type="activities.activity",
            object_repr=f"Demo: {len(new_reports)} laporan kegiatan {YEAR}",
            wilayah_code="19.01",
        )
    return DemoActivities(reports=planned, created=len(new_reports), meetings=meetings)


def _meetings(actor: User, koords: dict[str, User], members: list[Pilar]) -> int:
    """A coordination meeting of each kecamatan every month, recorded by its coordinator."""
    by_kecamatan: dict[str, list[Pilar]] = {}
    for pilar in members:
        by_kecamatan.setdefault(pilar.wilayah.parent_id or "", []).append(pilar)
    existing = set(Meeting.objects.values_list("client_uuid", flat=True))
    places = {k.code: k.name for k in Wilayah.objects.filter(code__in=list(by_kecamatan))}
    for kecamatan, people in sorted(by_kecamatan.items()):
        rng = random.Random(f"meeting|{kecamatan}")  # noqa: S311 - demo data
        for month in MONTHS:
            key = _key("meeting", kecamatan, YEAR, month)
            present = [p for p in people if p.status == Status.AKTIF and rng.random() < 0.8]
            day = rng.randint(5, 20)
            if key in existing:
                continue
            meeting = Meeting.objects.create(
                client_uuid=key,
                wilayah_id=kecamatan,
                held_at=_moment(YEAR, month, day, 9, 0),
                place=f"Kantor Camat {places.get(kecamatan, '')}".strip(),
                agenda="Evaluasi kegiatan PSM bulan lalu; rencana pendampingan dan usulan.",
                other_attendees="Kasi Kesos Kecamatan\nPendamping PKH Kecamatan",
                minutes="Setiap PSM menyampaikan kegiatan bulan lalu dan kendala di lapangan.",
                decisions="Laporan bulanan dikirim paling lambat tanggal 5.",
                recorded_by=koords.get(kecamatan, actor),
            )
            meeting.attendees.set(present)
            MeetingTask.objects.create(
                meeting=meeting,
                task="Lengkapi foto kegiatan pada laporan yang dikembalikan",
                responsible="Semua PSM",
                due_on=datetime.date(YEAR, month, min(day + 10, 28)),
                done=month < 12,
            )
    return Meeting.objects.filter(
        client_uuid__in=[_key("meeting", k, YEAR, m) for k in by_kecamatan for m in MONTHS]
    ).count()
