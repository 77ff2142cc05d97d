"""Demo field activities for Kabupaten Bangka: the activity reports of every demo PSM over the
twelve months ending with the current month, and a monthly coordination meeting per kecamatan.

The year is relative to the day of the run (`timezone.localdate()`), so the demo always looks
lively: the current month holds the reports up to yesterday (nothing is dated today or later,
and no step of a report, submission or verification, happens after yesterday); the current and
the previous month have reports still waiting for verification (submitted), some returned and
some drafts; older months are mostly verified. Reports of the pilot kecamatan Belinyu in the
last three months have small photos.

Deterministic for a given day: a seeded generator per PSM (seeded by the PSM's name and desa,
not by database ids) for the PSM's profile, and one per PSM and calendar month for the month's
reports. Idempotent: every report, photo and meeting has a UUID derived from what it is (the
PSM or kecamatan, the calendar month and its number in the month; uuid5), and only what is
missing is written, so a second run on the same day writes nothing. A run on a later day adds
what the plan has gained since: the reports of the days in between (with the same keys and
contents they would have had), and, in a later month, the new month and what the moved window
now plans; nothing is ever changed or removed.

Realistic variation: some PSMs are very active (8-12 reports a month), most report a few times
a month, a few hardly at all and some pause for two months; members who are no longer active
stopped reporting some months ago (and never after the month their status changed); busy
months (distributions in March and September, the flood season in December-January) have
more. Home visits and ground checks link a household of the desa and carry the GPS point near
it.

Depends on the demo accounts, pillars (`build_demo_pillars`) and residents
(`build_demo_residents`). Written with `bulk_create` and one audit event, like the residents.
"""

import calendar
import datetime
import io
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from PIL import Image

from garda.accounts.models import User
from garda.audit.models import Action
from garda.audit.services import audit_record
from garda.cases.models import Case, EventKind
from garda.pilar.models import PSM, Pilar, Status, StatusEvent
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
MONTHS = 12  # the demo covers this many months, ending with the current one
PILOT_KECAMATAN = "19.01.02"
PHOTO_MONTHS = 3  # Belinyu's reports of the last three months have photos
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


def demo_months(today: datetime.date) -> list[datetime.date]:
    """The first days of the demo's months: the twelve ending with `today`'s, oldest first."""
    months = [today.replace(day=1)]
    while len(months) < MONTHS:
        months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
    return months


def _moment(day: datetime.date, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_current_timezone()
    )


def _month_days(month: datetime.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def _rate(rng: random.Random) -> float:
    """Reports a month: very active, ordinary, hardly active."""
    kind = rng.random()
    if kind < 0.2:
        return rng.uniform(8, 12)
    if kind < 0.8:
        return rng.uniform(3, 6)
    return rng.uniform(0.3, 1.5)


def _fate(rng: random.Random, age: int) -> str:
    """What became of a report `age` months before the current month (0: this month)."""
    roll = rng.random()
    if age == 0:
        return "draft" if roll < 0.08 else "returned" if roll < 0.18 else "submitted"
    if age == 1:
        return "submitted" if roll < 0.2 else "returned" if roll < 0.25 else "verified"
    return "returned" if roll < 0.04 else "verified"


def _stopped(members: list[Pilar]) -> dict[object, datetime.date]:
    """The day each member who is not active took their present status (no report from that
    month on)."""
    since: dict[object, datetime.date] = {}
    rows = StatusEvent.objects.filter(pilar__in=[p for p in members if p.status != Status.AKTIF])
    status = {p.pk: p.status for p in members}
    for pilar_id, to_status, day in rows.order_by("effective_on").values_list(
        "pilar_id", "to_status", "effective_on"
    ):
        if status.get(pilar_id) == to_status:
            since[pilar_id] = day
    return since


def _point(rng: random.Random, centre: tuple[float, float]) -> tuple[Decimal, Decimal]:
    lat = centre[0] + rng.uniform(-0.03, 0.03)
    lon = centre[1] + rng.uniform(-0.03, 0.03)
    return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")


def _jpeg(rng: random.Random) -> bytes:
    colour = (rng.randint(60, 200), rng.randint(60, 200), rng.randint(60, 200))
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


@dataclass(frozen=True)
class CaseSpan:
    case: Case
    opened: datetime.datetime
    closed: datetime.datetime | None


def _case_spans() -> dict[str, list[CaseSpan]]:
    """Each desa's demo cases and when each was open, to link the case-handling reports of
    the PSM handling it to the case they were part of."""
    spans: dict[str, list[CaseSpan]] = {}
    for case in (
        Case.objects.within("19.01")
        .annotate(
            opened=Min("events__at", filter=Q(events__kind=EventKind.OPENED)),
            closed=Max("events__at", filter=Q(events__kind=EventKind.CLOSED)),
        )
        .filter(opened__isnull=False)
        .order_by("number")
    ):
        spans.setdefault(case.wilayah_id, []).append(CaseSpan(case, case.opened, case.closed))
    return spans


def _case_handled(spans: list[CaseSpan], pilar: Pilar, when: datetime.datetime) -> Case | None:
    for span in spans:
        handled = span.case.handler_pilar_id == pilar.pk or (
            pilar.user_id is not None and span.case.handler_id == pilar.user_id
        )
        if handled and span.opened <= when and (span.closed is None or when < span.closed):
            return span.case
    return None


@transaction.atomic
def build_demo_activities() -> DemoActivities:
    """Create what of the demo's twelve months is missing. Returns how many reports the plan
    has up to yesterday, how many were created now, and how many meetings exist."""
    actor = User.objects.get(username=ACTOR)
    today = timezone.localdate()
    cutoff = _moment(today)  # nothing happens from today on
    months = demo_months(today)
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
    stopped = _stopped(members)
    households: dict[str, list[Keluarga]] = {}
    for row in (
        Keluarga.objects.within("19.01")
        .order_by("no_kk_hash")
        .only("id", "wilayah_id", "latitude", "longitude")
    ):
        households.setdefault(row.wilayah_id, []).append(row)
    existing = set(Activity.objects.values_list("client_uuid", flat=True))
    case_spans = _case_spans()

    new_reports: list[Activity] = []
    links: list[tuple[uuid.UUID, uuid.UUID]] = []
    events: list[ActivityEvent] = []
    photos: list[Photo] = []
    created_at: dict[uuid.UUID, datetime.datetime] = {}
    event_times: dict[uuid.UUID, datetime.datetime] = {}
    planned = 0
    for pilar in members:
        profile = random.Random(f"{pilar.name}|{pilar.wilayah_id}")  # noqa: S311 - demo data
        rate = _rate(profile)
        # Members who are not active stopped reporting some months ago (the window's month
        # number `last`, counted from 1), and in any case before their status changed.
        last = MONTHS if pilar.status == Status.AKTIF else profile.randint(3, 8)
        pause = profile.randint(1, MONTHS) if profile.random() < 0.25 else 0
        since = stopped.get(pilar.pk)
        kecamatan = pilar.wilayah.parent_id or ""
        centre = CENTRES.get(kecamatan, (-1.85, 105.95))
        koord = koords.get(kecamatan)
        for number, month in enumerate(months, start=1):
            if number > last or number in (pause, pause + 1):
                continue
            if since is not None and month >= since.replace(day=1):
                continue
            age = MONTHS - number
            rng = random.Random(  # noqa: S311 - demo data
                f"{pilar.name}|{pilar.wilayah_id}|{month:%Y-%m}"
            )
            count = max(0, round(rng.gauss(rate * BUSY.get(month.month, 1.0), 1.2)))
            for n in range(count):
                key = _key("activity", pilar.name, pilar.wilayah_id, month.year, month.month, n)
                code, _weight, (low, high), links_household = rng.choices(
                    MIX, weights=[m[1] for m in MIX]
                )[0]
                day = month.replace(day=rng.randint(1, _month_days(month)))
                when = _moment(day, rng.randint(8, 16), rng.choice((0, 15, 30, 45)))
                fate = _fate(rng, age)
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
                photo_count = rng.randint(1, 3)
                if kecamatan != PILOT_KECAMATAN or age >= PHOTO_MONTHS:
                    photo_count = 0
                photo_seeds = [rng.random() for _ in range(photo_count)]
                submitted = when + datetime.timedelta(hours=rng.randint(1, 30))
                decided = submitted + datetime.timedelta(days=rng.randint(1, 6))
                # After every draw, so the plan is the same each run and each day.
                if day >= today:
                    continue  # not yet happened
                planned += 1
                if key in existing:
                    continue
                if submitted >= cutoff:
                    fate = ReportStatus.DRAFT  # the worker has not sent it yet
                elif decided >= cutoff and fate != ReportStatus.DRAFT:
                    fate = ReportStatus.SUBMITTED  # waiting for the coordinator
                verifier = koord if koord is not None and koord.pk != pilar.user_id else actor
                case = None
                if code == ActivityType.CASE_HANDLING:
                    case = _case_handled(case_spans.get(pilar.wilayah_id, []), pilar, when)
                activity = Activity(
                    id=_key("activity-row", key),
                    client_uuid=key,
                    jenis=types[code],
                    pilar=pilar,
                    reported_by=pilar.user,
                    wilayah_id=pilar.wilayah_id,
                    occurred_at=when,
                    case=case,
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
    meetings = _meetings(actor, koords, members, today)
    if new_reports:
        audit_record(
            actor=actor,
            action=Action.CREATE,
            object_type="activities.activity",
            object_repr=(
                f"Demo: {len(new_reports)} laporan kegiatan {months[0]:%m/%Y}-{months[-1]:%m/%Y}"
            ),
            wilayah_code="19.01",
        )
    return DemoActivities(reports=planned, created=len(new_reports), meetings=meetings)


def _meetings(
    actor: User, koords: dict[str, User], members: list[Pilar], today: datetime.date
) -> int:
    """A coordination meeting of each kecamatan every month (this month's only once it has
    been held), recorded by its coordinator. Returns how many of the demo's meetings exist."""
    by_kecamatan: dict[str, list[Pilar]] = {}
    for pilar in members:
        by_kecamatan.setdefault(pilar.wilayah.parent_id or "", []).append(pilar)
    existing = set(Meeting.objects.values_list("client_uuid", flat=True))
    places = {k.code: k.name for k in Wilayah.objects.filter(code__in=list(by_kecamatan))}
    months = demo_months(today)
    for kecamatan, people in sorted(by_kecamatan.items()):
        for month in months:
            rng = random.Random(f"meeting|{kecamatan}|{month:%Y-%m}")  # noqa: S311 - demo data
            key = _key("meeting", kecamatan, month.year, month.month)
            present = [p for p in people if p.status == Status.AKTIF and rng.random() < 0.8]
            day = month.replace(day=rng.randint(5, 20))
            if key in existing or day >= today:
                continue
            meeting = Meeting.objects.create(
                client_uuid=key,
                wilayah_id=kecamatan,
                held_at=_moment(day, 9, 0),
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
                due_on=month.replace(day=min(day.day + 10, 28)),
                done=month < months[-1],  # this month's task is still open
            )
    return Meeting.objects.filter(
        client_uuid__in=[_key("meeting", k, m.year, m.month) for k in by_kecamatan for m in months]
    ).count()
