"""Generate the benchmark's 100,000-row ledger and department feed (synthetic people only)."""

import os
import sys

import django


def main(kind: str, path: str, rows: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    django.setup()
    if kind == "ledger":
        from ledger.testing import write_ledger

        write_ledger(path, rows=rows, seed=1)
    else:
        from exchange.testing import write_feed_from_registry

        write_feed_from_registry(path, source="education", rows=rows, seed=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
