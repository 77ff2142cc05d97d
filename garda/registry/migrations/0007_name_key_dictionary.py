"""On PostgreSQL, every distinct name key in use, in a small table of its own with a trigram
index: the look-alike search (`garda.registry.search._by_similarity`) compares the query with
these few hundred thousand distinct keys instead of with a million residents, then finds the
residents of the keys alike through a btree index on `registry_individu.name_key` (added
here too: the trigram index answers `name_key IN (...)` by intersecting trigram lists, which
took hundreds of milliseconds for a few dozen keys). Measured in docs/benchmarks.md.

The table is kept by triggers on `registry_individu` (any INSERT, COPY included, and any
UPDATE), so no code path can forget it; it only ever grows, so it always holds every key in
use (a key nobody has any more finds nobody). No unique constraint, on purpose: a unique key
would make a resident saved with a new name wait for a running import that added the same key
until that import commits; two writers may therefore both add a key, which the search reads
as one. SQLite has none of this (no trigram similarity there).
"""

from django.db import migrations

CREATE = [
    "CREATE TABLE IF NOT EXISTS registry_name_key (key varchar(150) NOT NULL)",
    "CREATE INDEX IF NOT EXISTS registry_name_key_key ON registry_name_key (key)",
    "CREATE INDEX IF NOT EXISTS registry_name_key_trgm "
    "ON registry_name_key USING gin (key gin_trgm_ops)",
    """
    CREATE OR REPLACE FUNCTION registry_name_key_add() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO registry_name_key (key)
        SELECT DISTINCT n.name_key FROM new_rows n
        WHERE n.name_key <> ''
          AND NOT EXISTS (SELECT 1 FROM registry_name_key k WHERE k.key = n.name_key);
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER registry_individu_name_key_insert AFTER INSERT ON registry_individu "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION registry_name_key_add()",
    "CREATE TRIGGER registry_individu_name_key_update AFTER UPDATE ON registry_individu "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION registry_name_key_add()",
    "CREATE INDEX IF NOT EXISTS registry_individu_name_key ON registry_individu (name_key)",
    "INSERT INTO registry_name_key (key) "
    "SELECT DISTINCT name_key FROM registry_individu WHERE name_key <> ''",
]
DROP = [
    "DROP TRIGGER IF EXISTS registry_individu_name_key_insert ON registry_individu",
    "DROP TRIGGER IF EXISTS registry_individu_name_key_update ON registry_individu",
    "DROP FUNCTION IF EXISTS registry_name_key_add()",
    "DROP TABLE IF EXISTS registry_name_key",
    "DROP INDEX IF EXISTS registry_individu_name_key",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_index_without_like_patterns")]
    operations = [migrations.RunPython(run(CREATE), run(DROP))]
