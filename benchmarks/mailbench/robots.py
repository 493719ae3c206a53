"""Robots recognised on the corpus of ``tests/robot_corpus/``: recall by kind, false positives, misses.

Every mail of the corpus (one folder per kind, ``human/`` for the mails people wrote; its ``README.md``)
goes through ``inbound.robots.recognise`` as the handler calls it, with the site's own addresses:

- **recall** of a kind: its robots recognised with that kind, over its robots; **caught**: recognised as a
  robot of any kind (a robot of the wrong kind is still never answered);
- **false positives**: human mails taken for a robot, over the human mails. Must be 0.
"""

import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "robot_corpus"
HUMAN = "human"
# The site's addresses in the corpus: what the handler passes as ``own_addresses``.
OWN_ADDRESSES = ("support@example.com", "support@reply.example.com", "billing@example.com")
MIN_RECALL = 0.98


def _robots():
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        os.environ["DJANGO_SETTINGS_MODULE"] = "example_site.settings.test"
    import django  # the inbound package imports the models: Django must be set up first

    from django.apps import apps

    if not apps.ready:
        django.setup()
    from wagtail_support.inbound import robots  # after the set-up above

    return robots


def load_corpus(root=CORPUS):
    """[(kind, name, raw bytes)] of every ``<kind>/<name>.eml``, sorted."""
    return [(path.parent.name, path.stem, path.read_bytes()) for path in sorted(root.glob("*/*.eml"))]


def run(corpus=None):
    """[(kind, name, MachineMail or None)] and the seconds ``recognise`` took on the whole corpus."""
    from anymail.inbound import AnymailInboundMessage

    robots = _robots()
    corpus = load_corpus() if corpus is None else corpus
    messages = [(kind, name, AnymailInboundMessage.parse_raw_mime_bytes(raw)) for kind, name, raw in corpus]
    started = time.perf_counter()
    results = [(kind, name, robots.recognise(message, own_addresses=OWN_ADDRESSES)) for kind, name, message in messages]
    return results, time.perf_counter() - started


def _percent(ratio):
    return f"{100 * ratio:.1f}%"


def report(corpus=None):
    """(lines to print, figures) of ``recognise`` on the corpus."""
    results, seconds = run(corpus)
    kinds = sorted({kind for kind, _name, _found in results if kind != HUMAN})
    figures = {"kinds": {}, "misses": [], "false_positive_mails": []}
    lines = [
        f"Robots: recognise on {sum(kind != HUMAN for kind, _n, _f in results)} robot mails and "
        f"{sum(kind == HUMAN for kind, _n, _f in results)} human mails of tests/robot_corpus/",
        "recall = recognised with the right kind; caught = recognised as a robot of any kind",
        "",
        f"{'kind':<18}{'robots':>8}{'right kind':>12}{'recall':>9}{'caught':>9}",
    ]
    for kind in kinds:
        mails = [(name, found) for k, name, found in results if k == kind]
        right = sum(found is not None and found.kind == kind for _name, found in mails)
        caught = sum(found is not None for _name, found in mails)
        figures["kinds"][kind] = {"robots": len(mails), "right": right, "caught": caught, "recall": right / len(mails)}
        lines.append(f"{kind:<18}{len(mails):>8}{right:>12}{_percent(right / len(mails)):>9}{_percent(caught / len(mails)):>9}")
        for name, found in mails:
            if found is None or found.kind != kind:
                figures["misses"].append(f"{kind}/{name}: {found.kind if found else 'not recognised'}")
    robots = sum(entry["robots"] for entry in figures["kinds"].values())
    right = sum(entry["right"] for entry in figures["kinds"].values())
    caught = sum(entry["caught"] for entry in figures["kinds"].values())
    humans = [(name, found) for kind, name, found in results if kind == HUMAN]
    figures["false_positive_mails"] = [f"{HUMAN}/{name}: taken for {found.kind}" for name, found in humans if found is not None]
    figures.update(
        robots=robots,
        humans=len(humans),
        recall=right / robots if robots else 0.0,
        caught=caught / robots if robots else 0.0,
        false_positives=len(figures["false_positive_mails"]),
        false_positive_ratio=len(figures["false_positive_mails"]) / len(humans) if humans else 0.0,
        ms_per_mail=1000 * seconds / len(results) if results else 0.0,
    )
    lines.append(f"{'all':<18}{robots:>8}{right:>12}{_percent(figures['recall']):>9}{_percent(figures['caught']):>9}")
    lines += [
        "",
        f"Recall: {right}/{robots} ({_percent(figures['recall'])}), target {_percent(MIN_RECALL)} at least; "
        f"caught as robots: {caught}/{robots} ({_percent(figures['caught'])})",
        f"False positives: {figures['false_positives']}/{len(humans)} human mails taken for robots "
        f"({_percent(figures['false_positive_ratio'])}), must be 0",
        f"Time: {figures['ms_per_mail']:.2f} ms a mail",
        "Misses:" + ("" if figures["misses"] or figures["false_positive_mails"] else " none"),
    ]
    lines += [f"  {miss}" for miss in figures["misses"] + figures["false_positive_mails"]]
    return lines, figures
