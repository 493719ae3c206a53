"""Timing a request in process: wall time of the whole Django stack, and every SQL query it ran."""

import statistics
import time
from contextlib import contextmanager

from django.db import connection


class QueryLog:
    """Records each query's duration through ``connection.execute_wrapper``."""

    def __init__(self):
        self.durations = []
        self.sql = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.durations.append(time.perf_counter() - start)
            self.sql.append(sql)


@contextmanager
def capture():
    log = QueryLog()
    with connection.execute_wrapper(log):
        yield log


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def summarise(samples):
    """``samples``: list of (seconds, sql_seconds, queries). Times in milliseconds."""
    times = [s[0] * 1000 for s in samples]
    sql = [s[1] * 1000 for s in samples]
    queries = sorted({s[2] for s in samples})
    return {
        "runs": len(samples),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "sql_median_ms": round(statistics.median(sql), 2),
        "queries": queries[0] if len(queries) == 1 else queries,
    }


def run(action, *, runs, warmup=3, prepare=None):
    """Call ``action()`` ``warmup + runs`` times; ``prepare()`` (untimed) before each call."""
    samples = []
    for index in range(warmup + runs):
        if prepare is not None:
            prepare()
        with capture() as log:
            start = time.perf_counter()
            action()
            elapsed = time.perf_counter() - start
        if index >= warmup:
            samples.append((elapsed, sum(log.durations), len(log.durations)))
    return summarise(samples), log


def time_sql(statements, *, runs, warmup=3, rollback=False):
    """Median time of running the hand-written ``statements`` (``[(sql, params)]``) once, in ms."""
    from django.db import transaction

    class _Rollback(Exception):
        pass

    times = []
    for index in range(warmup + runs):
        start = time.perf_counter()
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    for sql, params in statements:
                        cursor.execute(sql, params)
                        if cursor.description is not None:
                            cursor.fetchall()
                if rollback:
                    raise _Rollback
        except _Rollback:
            pass
        elapsed = time.perf_counter() - start
        if index >= warmup:
            times.append(elapsed * 1000)
    return round(statistics.median(times), 2)
