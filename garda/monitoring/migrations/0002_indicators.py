"""The default indicators of PSM performance, as data Dinas may change (weights, is_active)."""

from django.db import migrations

# code, name, source, parameters, unit, direction, weight
INDICATORS = [
    ("kegiatan_lapangan", "Kegiatan lapangan dilaporkan", "activities", {}, "count", "higher", 2),
    (
        "kunjungan_rumah",
        "Kunjungan rumah",
        "activities",
        {"activity_type": "kunjungan_rumah"},
        "count",
        "higher",
        2,
    ),
    ("laporan_terverifikasi", "Laporan terverifikasi", "verified_share", {}, "percent", "higher", 1),
    ("laporan_tepat_waktu", "Laporan tepat waktu", "on_time", {"day": 5}, "percent", "higher", 1),
    (
        "cakupan_keluarga",
        "Keluarga dikunjungi dari seluruh keluarga desa",
        "households_visited",
        {},
        "percent",
        "higher",
        1,
    ),
    ("beban_kasus", "Kasus aktif ditangani", "caseload", {}, "count", "higher", 0),
    ("respons_pertama", "Waktu respons pertama kasus", "first_response", {}, "hours", "lower", 1),
    ("waktu_penutupan", "Waktu penyelesaian kasus", "time_to_close", {}, "days", "lower", 1),
    ("rujukan_selesai", "Rujukan selesai", "referrals_completed", {}, "count", "higher", 1),
    ("pendampingan_penyaluran", "Pendampingan penyaluran bansos", "distributions", {}, "count", "higher", 1),
    ("usulan_diajukan", "Usulan diajukan", "proposals_submitted", {}, "count", "higher", 1),
    ("usulan_disahkan", "Usulan disahkan", "proposals_approved", {}, "count", "higher", 1),
]


def add_indicators(apps, schema_editor):
    Indicator = apps.get_model("monitoring", "Indicator")
    for order, (code, name, source, parameters, unit, direction, weight) in enumerate(INDICATORS):
        Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "source": source,
                "parameters": parameters,
                "unit": unit,
                "direction": direction,
                "weight": weight,
                "order": order * 10,
            },
        )


def remove_indicators(apps, schema_editor):
    Indicator = apps.get_model("monitoring", "Indicator")
    Indicator.objects.filter(code__in=[row[0] for row in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(add_indicators, remove_indicators)]
