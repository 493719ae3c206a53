"""The report of the load test: Locust's figures, the faults' timeline and the checks, as a table and JSON."""

import csv
import json
import os

PERCENTILES = ["50%", "90%", "95%", "99%", "100%"]


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else round(number, 2)


def read_locust_stats(csv_prefix):
    """Rows of Locust's ``<prefix>_stats.csv``: per request type and the aggregate."""
    path = f"{csv_prefix}_stats.csv"
    if not os.path.exists(path):
        return []
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows.append(
                {
                    "name": row["Name"],
                    "method": row["Type"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": _number(row["Requests/s"]),
                    "avg_ms": _number(row["Average Response Time"]),
                    "p50_ms": _number(row["50%"]),
                    "p90_ms": _number(row["90%"]),
                    "p95_ms": _number(row["95%"]),
                    "p99_ms": _number(row["99%"]),
                    "max_ms": _number(row["Max Response Time"]),
                }
            )
    return rows


def percentile(values, fraction):
    if not values:
        return None
    values = sorted(values)
    index = min(len(values) - 1, max(0, int(round(fraction * (len(values) - 1)))))
    return values[index]


def http_summary(http, duration):
    """Totals and exact latency percentiles from the requests the locustfile wrote down."""
    times = [row["ms"] for row in http]
    return {
        "requests": len(http),
        "duration_s": round(duration, 1),
        "rps": round(len(http) / duration, 1) if duration else None,
        "p50_ms": percentile(times, 0.50),
        "p90_ms": percentile(times, 0.90),
        "p95_ms": percentile(times, 0.95),
        "p99_ms": percentile(times, 0.99),
        "max_ms": max(times) if times else None,
    }


def _fmt(value, width, digits=0):
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:.{digits}f}"
    else:
        text = str(value)
    return text.rjust(width)


def format_table(report):
    lines = []
    summary = report["summary"]
    setup = report["setup"]
    lines.append("")
    lines.append("wagtail-support load test")
    lines.append(
        f"  {setup['web_servers']} gunicorn instances x {setup['web_workers']} workers x {setup['threads']} threads, "
        f"{setup['mail_workers']} mail workers (django-tasks-db), PostgreSQL {setup['postgres']}; "
        f"{setup['visitors']} visitors + {setup['agents']} agents (Locust)"
    )
    lines.append(
        f"  {summary['requests']} requests in {summary['duration_s']}s = {summary['rps']} requests/s; latency ms: "
        f"p50 {summary['p50_ms']}, p90 {summary['p90_ms']}, p95 {summary['p95_ms']}, p99 {summary['p99_ms']}, "
        f"max {summary['max_ms']}"
    )
    if report.get("cpu_seconds"):
        cpu = ", ".join(f"{name} {seconds:.0f}" for name, seconds in report["cpu_seconds"].items())
        lines.append(f"  CPU seconds during the load ({setup['cpus']} CPUs): {cpu}")
    lines.append("")
    header = f"  {'request':<28}{'count':>7}{'fail':>6}{'req/s':>7}{'p50':>7}{'p90':>7}{'p95':>7}{'p99':>7}{'max':>8}"
    lines.append(header)
    lines.append("  " + "-" * (len(header) - 2))
    for row in report["requests"]:
        lines.append(
            f"  {row['name'][:27]:<28}{_fmt(row['requests'], 7)}{_fmt(row['failures'], 6)}{_fmt(row['rps'], 7, 1)}"
            f"{_fmt(row['p50_ms'], 7)}{_fmt(row['p90_ms'], 7)}{_fmt(row['p95_ms'], 7)}{_fmt(row['p99_ms'], 7)}"
            f"{_fmt(row['max_ms'], 8)}"
        )
    lines.append("")
    lines.append("  faults (seconds from the start of the load)")
    if not report["timeline"]:
        lines.append("    none")
    for entry in report["timeline"]:
        lines.append(f"    {entry['at']:>6.1f}  {entry['what']}")
    lines.append("")
    lines.append("  checks")
    for result in report["checks"]:
        mark = "PASS" if result["passed"] else "FAIL"
        lines.append(f"    {mark}  {result['name']}: {result['summary']}")
    lines.append("")
    passed = all(r["passed"] for r in report["checks"])
    lines.append(f"  {'ALL CHECKS PASSED' if passed else 'SOME CHECKS FAILED'}; report: {report.get('path', '-')}")
    lines.append("")
    return "\n".join(lines)


def write(report, results_dir, stamp):
    os.makedirs(results_dir, exist_ok=True)
    path = os.path.join(results_dir, f"load-{stamp}.json")
    report["path"] = os.path.relpath(path)
    text = json.dumps(report, indent=2, sort_keys=False, default=str)
    for target in (path, os.path.join(results_dir, "load-latest.json")):
        with open(target, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return path
