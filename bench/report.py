"""Where the benchmarks leave their results: one JSON file each under var/bench/."""

import json
from pathlib import Path


def report_write(*, report: dict, out: Path, indent: int = 1, echo: bool = False) -> None:
    """Write `report` to `out` (folders created); with `echo`, print it as well."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=indent))
    if echo:
        print(json.dumps(report, indent=indent))
