"""The national programmes PSMs accompany (DOMAIN.md), as editable data: amounts and rules
are the usual ones of 2025–2026 and each district adjusts them."""

from django.db import migrations

# code, name, fund source, kind, target unit, benefit (Rp per period), description, max desil,
# PPKS type numbers (any of them qualifies; empty: no PPKS rule)
PROGRAMMES = [
    ("pkh", "Program Keluarga Harapan (PKH)", "apbn", "tunai", "keluarga", 750_000,
     "Bantuan tunai bersyarat per tahap (tiga bulan)", 4, []),
    ("sembako", "Program Sembako / BPNT", "apbn", "tunai", "keluarga", 600_000,
     "Rp200.000 per bulan lewat KKS, dibayar per tiga bulan", 4, []),
    ("pbi-jk", "Penerima Bantuan Iuran Jaminan Kesehatan (PBI-JK)", "apbn", "iuran",
     "individu", 126_000, "Iuran BPJS Kesehatan Rp42.000 per bulan", 5, []),
    ("blt-dd", "BLT Dana Desa", "dana_desa", "tunai", "keluarga", 900_000,
     "Rp300.000 per bulan, ditetapkan musyawarah desa", None, []),
    ("atensi", "Asistensi Rehabilitasi Sosial (ATENSI)", "apbn", "layanan", "individu", 0,
     "Layanan rehabilitasi sosial dan bantuan kebutuhan dasar", None, [1, 2, 5, 8, 9, 16, 17]),
    ("rutilahu", "Rehabilitasi Rumah Tidak Layak Huni (Rutilahu)", "apbn", "barang",
     "keluarga", 20_000_000, "Bahan bangunan dan upah kerja untuk satu rumah", 4, []),
]
# BLT Dana Desa is for poor families not already receiving PKH or Sembako.
CONFLICTS = [("blt-dd", "pkh"), ("blt-dd", "sembako")]


def add_programmes(apps, schema_editor):
    Program = apps.get_model("programs", "Program")
    PpksType = apps.get_model("registry", "PpksType")
    for code, name, source, kind, unit, amount, description, desil, ppks in PROGRAMMES:
        program, created = Program.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "fund_source": source,
                "kind": kind,
                "target_unit": unit,
                "benefit_amount": amount,
                "benefit_description": description,
                "max_desil": desil,
            },
        )
        if created and ppks:
            program.ppks_types.set(PpksType.objects.filter(number__in=ppks))
    for first, second in CONFLICTS:
        Program.objects.get(code=first).conflicts.add(Program.objects.get(code=second))


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial"), ("registry", "0002_ppks_types")]

    operations = [migrations.RunPython(add_programmes, migrations.RunPython.noop)]
