"""Run the quality bars of PRODUCT.md against PostgreSQL and gunicorn with 4 workers.

Each bar prints one line: PASS or FAIL, the measured figure, and the ratio to /healthz
measured in the same run where one applies. ``--only NAME`` runs one scenario.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from bench import harness

# The configuration reads the environment when it is imported: set it before the app is.
os.environ.update(harness.app_env())

from bench import scenarios  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", choices=sorted(scenarios.ALL), action="append")
    args = parser.parse_args()
    names = args.only or list(scenarios.ALL)

    report = harness.Report()
    started = time.monotonic()
    print(f"SciVisit benchmarks: PostgreSQL {harness.DATABASE_URL.rsplit('@', 1)[1]}, "
          f"gunicorn {harness.WORKERS} workers, load from a separate process on loopback", flush=True)
    for name in names:
        scenarios.ALL[name](report)
    print(f"{sum(ok for *_, ok in report.rows)}/{len(report.rows)} bars passed "
          f"in {time.monotonic() - started:.0f} s", flush=True)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
