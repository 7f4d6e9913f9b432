"""Import N generated appointment rows: time and peak memory of `appointments import`.

    python -m bench.bench_import [--rows 200000]

The rows are made up (fake Belgian mobile numbers, no real patient); the file is written
to a temporary directory and imported into a temporary SQLite database.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import resource
import tempfile
import time
from pathlib import Path

from adapters.appointments import import_file
from bot.catalog import Catalog
from bot.config import Settings
from storage.db import Database


def write(path: Path, rows: int) -> None:
    rng = random.Random(3)
    cat = Catalog()
    with path.open("w", encoding="utf-8") as f:
        f.write("appointment_id,start,site,service,phone,language\n")
        for i in range(rows):
            day = 16 + i % 7
            phone = (
                f"047{rng.randrange(10)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} "
                f"{rng.randrange(10, 99)}"
                if i % 10
                else "063 21 21 11"
            )
            f.write(
                f"B{i},{day:02d}/05/2022 {8 + i % 10}:{(i * 7) % 60:02d},"
                f"{rng.choice(cat.site_ids)},{rng.choice(cat.service_ids)},{phone},"
                f"{rng.choice(['fr', 'nl', 'de', 'en'])}\n"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_file = Path(tmp) / "export.csv"
        write(csv_file, args.rows)
        db = Database(str(Path(tmp) / "bench.sqlite3"))
        await db.migrate()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        report = await import_file(Settings(), db, csv_file, None, out=io.StringIO())
        took = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t1 = time.perf_counter()
        again = await import_file(Settings(), db, csv_file, None, out=io.StringIO())
        took_again = time.perf_counter() - t1
        await db.dispose()
    print(
        f"{args.rows} rows, {csv_file.name} ({report.inserted} new, "
        f"{len(report.rejected)} rejected)"
    )
    print(
        f"import: {took:.1f} s ({args.rows / took:.0f} rows/s); peak RSS {peak / 1024:.0f} MiB "
        f"(before the import {before / 1024:.0f} MiB)"
    )
    print(f"re-import of the same file: {took_again:.1f} s, {again.unchanged} unchanged")


if __name__ == "__main__":
    asyncio.run(main())
