"""The social pillar types of Permensos 8/2012 (PSKS), as editable data."""

from django.db import migrations

TYPES = [
    # code, name, organisation, level (2 kabupaten, 3 kecamatan, 4 desa)
    ("psm", "Pekerja Sosial Masyarakat (PSM)", False, 4),
    ("tksk", "Tenaga Kesejahteraan Sosial Kecamatan (TKSK)", False, 3),
    ("tagana", "Taruna Siaga Bencana (Tagana)", False, 2),
    ("pendamping_pkh", "Pendamping PKH", False, 3),
    ("peksos", "Pekerja Sosial Profesional", False, 2),
    ("penyuluh_sosial", "Penyuluh Sosial", False, 2),
    ("wanita_pemimpin", "Wanita Pemimpin Kesejahteraan Sosial", False, 4),
    ("keluarga_pioner", "Keluarga Pioner", False, 4),
    ("karang_taruna", "Karang Taruna", True, 4),
    ("lks", "Lembaga Kesejahteraan Sosial (LKS)", True, 2),
    ("lk3", "Lembaga Konsultasi Kesejahteraan Keluarga (LK3)", True, 2),
    ("wksbm", "Wahana Kesejahteraan Sosial Berbasis Masyarakat (WKSBM)", True, 4),
    ("dunia_usaha", "Dunia Usaha", True, 2),
]


def add_types(apps, schema_editor):
    PilarType = apps.get_model("pilar", "PilarType")
    for order, (code, name, organisation, level) in enumerate(TYPES):
        PilarType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "is_organisation": organisation,
                "area_level": level,
                "order": order * 10,
            },
        )


def remove_types(apps, schema_editor):
    apps.get_model("pilar", "PilarType").objects.filter(code__in=[t[0] for t in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("pilar", "0001_initial")]
    operations = [migrations.RunPython(add_types, remove_types)]
