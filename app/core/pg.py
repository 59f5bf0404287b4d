"""PostgreSQL connections (psycopg) that keep their prepared statements when a transaction rolls
back, and that can send a statement together with the transaction's COMMIT.

**Prepared statements.** psycopg prepares a statement on the server once the connection has run it
five times, so that PostgreSQL plans it once. But ``rollback()`` forgets every prepared statement
and every count (in case the transaction created something a statement refers to), and SQLAlchemy
ends every request that writes nothing with a rollback: a read, a refused booking, ``/healthz``.
Such requests never reached five, and PostgreSQL planned each of their statements anew (refused
booking: 2.1 → 1.2 ms of PostgreSQL CPU, directory page 2.3 → 1.2 ms; ``python -m bench.work``).
What psycopg guards against cannot happen here: requests never change the schema (migrations run
as their own step, in their own process), and PostgreSQL re-plans a prepared statement by itself
when a table it uses changes. A DROP or ALTER run on a connection still clears its statements,
as psycopg does for any statement.

**Deferred statements.** ``defer(query, params)`` runs a statement in the current transaction as
late as possible: just before the connection's next statement, or, if none comes, in the same
round trip as the COMMIT (psycopg's pipeline mode). Either way it runs in the same order and the
same transaction as if it had been run at once. What it is for: a statement that locks a row many
transactions want (every admission at a venue adds to the venue's day in ``venue_daily_stats``).
Run at once, the row stays locked while the answer travels back to Python and the COMMIT comes
back: under load, behind the GIL and busy cores, several milliseconds, and every other gate of the
venue queues behind it. Sent with the COMMIT, it is locked only while PostgreSQL runs the two.
"""
from __future__ import annotations

from typing import Any

import psycopg
from psycopg import pq

_IN_TRANSACTION = (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR)


class SciVisitConnection(psycopg.Connection):
    _deferred: list[tuple[str, dict[str, Any]]] | None = None

    def defer(self, query: str, params: dict[str, Any]) -> None:
        """Run ``query`` before this connection's next statement, or with its COMMIT."""
        if self._deferred is None:
            self._deferred = []
        self._deferred.append((query, params))

    def run_deferred(self) -> None:
        deferred, self._deferred = self._deferred, None
        if deferred:
            with psycopg.Cursor(self) as cursor:
                for query, params in deferred:
                    cursor.execute(query, params)

    def commit(self) -> None:
        deferred, self._deferred = self._deferred, None
        if not deferred or self.pgconn.transaction_status != pq.TransactionStatus.INTRANS:
            super().commit()
            return
        with self.pipeline(), psycopg.Cursor(self) as cursor:
            for query, params in deferred:
                cursor.execute(query, params)
            super().commit()  # sent with the statements; the pipeline waits for all their answers

    def rollback(self) -> None:
        self._deferred = None
        if self.pgconn.transaction_status not in _IN_TRANSACTION:
            super().rollback()  # idle (nothing to do), closed or broken: psycopg's own answer
            return
        # Not psycopg's rollback(): it would forget the prepared statements.
        with self.lock:
            result = self.pgconn.exec_(b"ROLLBACK")
        if result.status != pq.ExecStatus.COMMAND_OK:
            message = (result.error_message or b"").decode(errors="replace").strip()
            raise psycopg.OperationalError(message or "ROLLBACK failed")


class _Cursor(psycopg.Cursor):
    """Runs the connection's deferred statements before its own."""

    def execute(self, query, params=None, **kwargs):
        self.connection.run_deferred()
        return super().execute(query, params, **kwargs)

    def executemany(self, query, params_seq, **kwargs):
        self.connection.run_deferred()
        return super().executemany(query, params_seq, **kwargs)


def connect(_dialect, _record, cargs, cparams) -> SciVisitConnection:
    """SQLAlchemy's ``do_connect`` event: the engine's connections are ``SciVisitConnection``."""
    connection = SciVisitConnection.connect(*cargs, **cparams)
    connection.cursor_factory = _Cursor
    return connection


def deferrable(connection) -> SciVisitConnection | None:
    """The psycopg connection under a SQLAlchemy ``Connection``, if it can defer statements."""
    raw = connection.connection.dbapi_connection
    return raw if isinstance(raw, SciVisitConnection) else None
