"""The 26 PPKS types (DOMAIN.md order; no official numeric codes exist), as editable data."""

from django.db import migrations

TYPES = [
    ("Anak Balita Terlantar", True),
    ("Anak Terlantar", True),
    ("Anak yang Berhadapan dengan Hukum (ABH)", True),
    ("Anak Jalanan", True),
    ("Anak Dengan Kedisabilitasan (ADK)", True),
    ("Anak Korban Tindak Kekerasan", True),
    ("Anak yang Memerlukan Perlindungan Khusus (AMPK)", True),
    ("Lanjut Usia Terlantar", False),
    ("Penyandang Disabilitas", True),
    ("Tuna Susila", True),
    ("Gelandangan", False),
    ("Pengemis", False),
    ("Pemulung", False),
    ("Kelompok Minoritas", False),
    ("Bekas Warga Binaan Lembaga Pemasyarakatan (BWBLP)", True),
    ("Orang dengan HIV/AIDS (ODHA)", True),
    ("Korban Penyalahgunaan NAPZA", True),
    ("Korban Trafficking", True),
    ("Korban Tindak Kekerasan", True),
    ("Pekerja Migran Bermasalah Sosial (PMBS)", False),
    ("Korban Bencana Alam", False),
    ("Korban Bencana Sosial", False),
    ("Perempuan Rawan Sosial Ekonomi", False),
    ("Fakir Miskin", False),
    ("Keluarga Bermasalah Sosial Psikologis", True),
    ("Komunitas Adat Terpencil (KAT)", False),
]


def add_types(apps, schema_editor):
    PpksType = apps.get_model("registry", "PpksType")
    for number, (name, sensitive) in enumerate(TYPES, start=1):
        PpksType.objects.update_or_create(
            number=number, defaults={"name": name, "is_sensitive": sensitive}
        )


def remove_types(apps, schema_editor):
    apps.get_model("registry", "PpksType").objects.filter(number__lte=len(TYPES)).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(add_types, remove_types)]
