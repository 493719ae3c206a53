"""The reply cutter on the hand-written corpus of ``tests/reply_corpus/`` (see its README).

One test per case: the output of ``reply_text`` must be exact or acceptable (``benchmarks.mailbench.replies``
says what that means), and must never lose a line of the sender's own. The known failures are listed in
``KNOWN_FAILURES`` with their reason and marked ``xfail(strict=True)``: a case that starts to pass must be
taken off the list. Then the figures of the whole corpus, the corpus itself (its size, its consistency), and
the growth of the time taken with the size of pathological bodies (never an absolute time).
"""

import time

import pytest

from benchmarks.mailbench import replies as bench
from wagtail_support.inbound.html import html_to_text

CASES = bench.load_corpus()

# name: why it fails. Keep it short and honest.
KNOWN_FAILURES = {}


def _case_params():
    for case in CASES:
        marks = []
        if case.name in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[case.name]))
        yield pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", list(_case_params()))
def test_case(case):
    verdict = bench.judge(case, bench.ours(case))
    assert not verdict.lost, f"{case.name} lost the sender's words {verdict.lost!r}\n--- output:\n{verdict.output}"
    assert verdict.ok, (
        f"{case.name} is wrong (history left: {verdict.left!r})\n--- output:\n{verdict.output}\n"
        f"--- expected:\n{case.expected}"
    )


def test_the_corpus_figures():
    results = bench.run(CASES, runs=1)
    figures = bench.totals(results)
    lost = [name for name, verdict in results.items() if verdict.lost]
    wrong = [name for name, verdict in results.items() if not verdict.ok]
    assert not lost, f"the sender's own words lost in {lost}"
    assert figures["ok_ratio"] >= bench.MIN_OK, f"{figures['ok_ratio']:.1%} exact or acceptable; wrong: {wrong}"
    assert sorted(wrong) == sorted(KNOWN_FAILURES), "KNOWN_FAILURES is not the list of the failing cases"


def test_the_corpus_is_what_its_readme_says():
    assert len(CASES) >= 300
    assert len({case.name for case in CASES}) == len(CASES)
    assert sum(case.kind == "html" for case in CASES) * 3 >= len(CASES)
    assert len({case.language.split("-")[0] for case in CASES}) >= 20
    assert len({case.client for case in CASES}) >= 25


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_case_is_consistent(case):
    """Its ``quoted`` lines are in its input and not in what the sender wrote; ``expected`` is tidy."""
    source = "\n".join(
        part for part in (case.stripped_text, case.text, html_to_text(case.html) if case.html else None) if part
    )
    for quote in case.quoted:
        assert quote in source, f"{quote!r} is not in the input"
        assert quote not in case.expected, f"{quote!r} is in the expected text"
    assert case.expected.strip(), "a case expects some text"
    assert case.expected == bench.tidy(case.expected), "expected is not tidied as reply_text tidies"


@pytest.mark.parametrize("kind", bench.SPEED_KINDS)
def test_time_grows_linearly_with_the_size(kind):
    # The sizes measured in turn, the best of five each, in this process's CPU time (time.process_time):
    # other processes sharing the machine (CI's, a loaded one) neither slow it nor make it jump. Twice the
    # input takes about twice the time; a quadratic rule takes four times.
    small_input, large_input = bench.pathological(kind, 1_000_000), bench.pathological(kind, 2_000_000)
    small = large = float("inf")
    for _ in range(5):
        small = min(small, bench.time_cut(small_input, runs=1, clock=time.process_time))
        large = min(large, bench.time_cut(large_input, runs=1, clock=time.process_time))
    assert large / small < 3, f"{kind}: {small * 1000:.0f} ms at 1 MB, {large * 1000:.0f} ms at 2 MB"
