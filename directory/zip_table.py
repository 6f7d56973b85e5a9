"""The ZIP table geo.py reads: directory/data/zip_centroids.tsv.gz, and how to rebuild it.

Rebuild (after changing the pinned `zipcodes` version in requirements-dev.txt):

    python -m directory.zip_table

The file is derived from `zipcodes.list_all()` (the package is needed only to
rebuild it and to test it; the app reads the file). It is gzipped UTF-8 text
(ASCII in practice), tab-separated, with one header line and then one line per
ZIP in the package, sorted by ZIP:

    zip     refusal          lat      lon       city        state
    00501                    40.8154  -73.0451  Holtsville  NY
    09001   unplaceable_zip

- refusal is empty for a ZIP that can be placed; otherwise the reason geo
  refuses it, and the other columns are empty:
  "inactive_zip" (not active for mail; checked first) or "unplaceable_zip"
  (active, but the package's centroid is 0, 0: military and some PO-box ZIPs).
- lat and lon are the package's strings unchanged, so float() of them gives
  the very floats that float() of the package's values gave.
- city is the package's city `.title()`'d, as geo shows it.

A ZIP not in the file is unknown. The output is deterministic (sorted, gzip
mtime 0), so rebuilding from the same package gives the same bytes with the
same zlib; tests/test_geo.py checks the committed file against a rebuild.
"""
from __future__ import annotations

import gzip
import sys
from pathlib import Path

PATH = Path(__file__).with_name("data") / "zip_centroids.tsv.gz"
COLUMNS = ("zip", "refusal", "lat", "lon", "city", "state")
INACTIVE, UNPLACEABLE = "inactive_zip", "unplaceable_zip"


def line_for(row: dict) -> str:
    """One `zipcodes` row as a line of the table (no newline)."""
    if not row["active"]:
        fields = (row["zip_code"], INACTIVE, "", "", "", "")
    elif float(row["lat"]) == 0 and float(row["long"]) == 0:  # the package's "no centroid"
        fields = (row["zip_code"], UNPLACEABLE, "", "", "", "")
    else:
        fields = (row["zip_code"], "", row["lat"], row["long"], row["city"].title(), row["state"])
    if any("\t" in f or "\n" in f or "\r" in f for f in fields):
        raise ValueError(f"ZIP {row['zip_code']}: a field holds a tab or line break")
    return "\t".join(fields)


def build_text() -> str:
    """The table's text, from the installed `zipcodes` package."""
    import zipcodes  # only here: the app never needs the package (~140 MB once list_all() has run)

    rows = sorted(zipcodes.list_all(), key=lambda row: row["zip_code"])
    lines = ["\t".join(COLUMNS), *map(line_for, rows)]
    return "\n".join(lines) + "\n"


def build() -> bytes:
    """The table's file contents: build_text() gzipped, reproducibly (mtime 0, level 9)."""
    return gzip.compress(build_text().encode("utf-8"), compresslevel=9, mtime=0)


def main(argv: list[str] | None = None) -> int:
    target = Path(argv[0]) if argv else PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    data = build()
    target.write_bytes(data)
    print(f"wrote {target} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
