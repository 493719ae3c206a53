"""Timing a request in process: wall time of the whole Django stack, and every SQL query it ran."""

import statistics
import time
from contextlib import contextmanager

from django.db import connection


#: What marks a query as the product's: it reads or writes one of its tables. The rest (sessions, accounts,
#: permissions, Wagtail's pages, sites, log entries, savepoints) is Wagtail's and Django's own.
PRODUCT_TABLES = "wagtail_support_"


def is_product_sql(sql):
    return PRODUCT_TABLES in sql


class QueryLog:
    """Records each query's duration through ``connection.execute_wrapper``, and whether it is the product's."""

    def __init__(self):
        self.durations = []
        self.sql = []
        self.own = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.durations.append(time.perf_counter() - start)
            self.sql.append(sql)
            self.own.append(is_product_sql(sql))

    def sample(self, elapsed):
        """One run's figures for ``summarise``: (seconds, SQL seconds, queries, own SQL seconds, own queries)."""
        own = [d for d, mine in zip(self.durations, self.own) if mine]
        return (elapsed, sum(self.durations), len(self.durations), sum(own), len(own))


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


def _one_or_all(values):
    values = sorted(set(values))
    return values[0] if len(values) == 1 else values


def summarise(samples):
    """``samples``: list of ``QueryLog.sample`` tuples. Times in milliseconds.

    ``own_*``: the product's queries (``is_product_sql``); ``wagtail_*``: the rest, Wagtail's and Django's own."""
    times = [s[0] * 1000 for s in samples]
    sql = [s[1] * 1000 for s in samples]
    own_sql = [s[3] * 1000 for s in samples]
    other_sql = [(s[1] - s[3]) * 1000 for s in samples]
    return {
        "runs": len(samples),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "sql_median_ms": round(statistics.median(sql), 2),
        "queries": _one_or_all(s[2] for s in samples),
        "own_queries": _one_or_all(s[4] for s in samples),
        "own_sql_median_ms": round(statistics.median(own_sql), 2),
        "wagtail_queries": _one_or_all(s[2] - s[4] for s in samples),
        "wagtail_sql_median_ms": round(statistics.median(other_sql), 2),
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
            samples.append(log.sample(elapsed))
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
