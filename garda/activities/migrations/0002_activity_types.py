"""The kinds of field activity a social worker reports, as editable data."""

from django.db import migrations

TYPES = [
    ("kunjungan_rumah", "Kunjungan rumah"),
    ("pendampingan_program", "Pendampingan program"),
    ("verifikasi_lapangan", "Verifikasi / ground check"),
    ("penanganan_kasus", "Penanganan kasus"),
    ("penyaluran", "Penyaluran bantuan"),
    ("sosialisasi", "Sosialisasi"),
    ("rapat_koordinasi", "Rapat koordinasi"),
    ("pelatihan", "Pelatihan"),
    ("tanggap_bencana", "Tanggap bencana"),
]


def add_types(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    for order, (code, name) in enumerate(TYPES):
        ActivityType.objects.update_or_create(
            code=code, defaults={"name": name, "order": order * 10}
        )


def remove_types(apps, schema_editor):
    ActivityType = apps.get_model("activities", "ActivityType")
    ActivityType.objects.filter(code__in=[code for code, _name in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]

    operations = [migrations.RunPython(add_types, remove_types)]
