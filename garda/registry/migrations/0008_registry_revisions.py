"""On PostgreSQL, what lets an import's write leave out its second round of registry lookups
when nothing could have changed since the check (`garda.registry.importer`, "The re-check's
lookups only when needed"):

- `registry_revision`: the id of every transaction that wrote to `registry_individu` or
  `registry_keluarga` (statement triggers: INSERT, COPY, UPDATE, DELETE, TRUNCATE). One row a
  transaction, whatever it wrote; rows exist only for committed transactions (an aborted one
  takes its row with it). Pruned by the importer (rows older than every recorded check).
- `registry_import_check`: per import job, the snapshot its check started from and whether
  the check found any of the file's NIKs and No KKs in the registry.

A write whose check found nothing stored, and that sees no revision the check's snapshot did
not see, would look up nothing either. SQLite has none of this: there every write checks all.
"""

from django.db import migrations

CREATE = [
    "CREATE TABLE IF NOT EXISTS registry_revision (xact xid8 PRIMARY KEY)",
    """
    CREATE TABLE IF NOT EXISTS registry_import_check (
        job_id uuid PRIMARY KEY,
        snapshot pg_snapshot NOT NULL,
        nothing_stored boolean NOT NULL,
        checked_at timestamptz NOT NULL
    )
    """,
    """
    CREATE OR REPLACE FUNCTION registry_revision_note() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO registry_revision (xact) VALUES (pg_current_xact_id())
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END
    $$
    """,
    *(
        f"CREATE TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION registry_revision_note()"
        for table in ("registry_individu", "registry_keluarga")
    ),
]
DROP = [
    "DROP TRIGGER IF EXISTS registry_individu_revision ON registry_individu",
    "DROP TRIGGER IF EXISTS registry_keluarga_revision ON registry_keluarga",
    "DROP FUNCTION IF EXISTS registry_revision_note()",
    "DROP TABLE IF EXISTS registry_import_check",
    "DROP TABLE IF EXISTS registry_revision",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("registry", "0007_name_key_dictionary")]
    operations = [migrations.RunPython(run(CREATE), run(DROP))]
