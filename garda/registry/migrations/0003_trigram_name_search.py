"""On PostgreSQL, a trigram index makes the typo-tolerant name search (`name_key LIKE '%x%'`)
an index scan. SQLite has no trigram index; there the search scans the desa-scoped rows."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS registry_individu_name_key_trgm "
    "ON registry_individu USING gin (name_key gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS registry_individu_name_key_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_ppks_types")]
    operations = [migrations.RunPython(run(CREATE), run(DROP))]
