"""Exit with a clear message (not a stack trace) when the test PostgreSQL cannot be reached."""

import sys

import psycopg


def main(url: str) -> int:
    try:
        # Connect to the maintenance database: the test run creates its own.
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5):
            return 0
    except psycopg.OperationalError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        print(
            f"PostgreSQL is not reachable at {url.rsplit('@', 1)[-1]}: {first_line}\n"
            "Start it (e.g. `pg_ctlcluster 15 main start`) or set PG_URL to a reachable server.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
