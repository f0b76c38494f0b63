"""The figures of repeated bench runs, shared by bench/intake.sh and bench/peer.sh.

A results file has one line per run: "NAME field=value ...", where NAME up to its
first "-" is the run's kind (put_limit, s3, hookspool, fastify, ...) and c= its
concurrency. A figure is the median of one field over the runs of a kind at one c,
with its min and max; show() prints it as "median (min-max)", or the median alone
when every run gave the same value (one repetition).

Imported by the scripts' table code: PYTHONPATH=bench python3 - RESULTS ... <<'PY'
"""
import statistics


def read_rows(path):
    """The runs of the results file at path, one dict each, "kind" its kind."""
    with open(path) as f:
        rows = [dict(kv.split("=", 1) for kv in ("kind=" + line).split()) for line in f]
    for r in rows:
        r["kind"] = r["kind"].split("-")[0]
    return rows


def fig(rows, kind, c, field):
    """(median, min, max) of field over the runs of kind at concurrency c (a string)."""
    v = [float(r[field]) for r in rows if r["kind"] == kind and r["c"] == c]
    return statistics.median(v), min(v), max(v)


def show(m):
    return "%g (%g-%g)" % m if m[1] != m[2] else "%g" % m[0]
