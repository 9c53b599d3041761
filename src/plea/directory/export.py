"""The directory as CSV (`plea embassies export`), the columns of data/embassies.csv, or with the
edited_fields column of a file of verified corrections (plea.directory.pooling)."""

from __future__ import annotations

from typing import Any

from plea.csvio import write_csv
from plea.directory.queries import COLUMNS, EDITED, mission_row, person_fields


def export_csv(missions: list[Any], *, verified: bool = False, organisation: str = "") -> str:
    """The directory as CSV; with verified=True, the columns of `export --verified-only`: the
    edited_fields column says which values a person gave or checked, and verified_by names the
    organisation (the `organisation` setting), never the person's login."""
    if not verified:
        return write_csv(COLUMNS, [mission_row(m) for m in missions])
    rows = [mission_row(m) | {EDITED: " ".join(sorted(person_fields(m))),
                              "verified_by": organisation if m.verified_on else ""} for m in missions]
    return write_csv([*COLUMNS, EDITED], rows)
