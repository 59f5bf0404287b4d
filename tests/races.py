"""Racing real workers in the tests: jobs released together, each in its own thread, app context,
session and database connection, as concurrent requests would run."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from app.core.errors import DomainError
from app.extensions import db


def race(app, jobs) -> list:
    """Run every job at once; each one's outcome (committed), or the code of the rule that refused it
    (rolled back)."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        with app.app_context():
            barrier.wait()
            try:
                outcome = job()
                db.session.commit()
                return outcome
            except DomainError as error:
                db.session.rollback()
                return error.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))
