"""axe-core in the browser tests: run Deque's accessibility engine on a Playwright page.

axe-core comes from the PyPI package ``axe-playwright-python`` (the ``test`` extra), which ships
``axe.min.js`` (MPL-2.0) inside the wheel: nothing is downloaded when the tests run. Only the script is
taken from it; running it and reading the results is done here, so the options and the report are ours.

``serious_violations(page)`` is what a test asserts on: the violations whose impact is critical or serious
(minor and moderate ones are reported by axe too, but are not what the issue asks to fix), and
``report(violations)`` turns them into a message that names each rule, element, colours and ratio.
A violation of one of Wagtail's own widgets that is known upstream (``UPSTREAM``) is left out, by rule and
element only.
"""

from axe_playwright_python.base import AXE_SCRIPT

#: The WCAG 2.x A and AA rules and axe's best practices, as axe's own defaults.
RUN_OPTIONS = {"resultTypes": ["violations"]}
FAILING_IMPACTS = ("critical", "serious")

#: Violations of Wagtail's own widgets, known upstream and not ours to fix: ``(rule, CSS selector, why)``.
#: Only that rule on elements matching that selector is left out; everything else on the page still counts.
UPSTREAM = [
    (
        "aria-input-field-name",
        ".public-DraftEditor-content",
        "Wagtail's Draftail rich text editor: its contenteditable textbox gets no accessible name "
        "(wagtail/wagtail#14205, open)",
    ),
]


SETTLE_STYLES = """() => {
    if (document.getElementById("ws-axe-settle")) return;
    const style = document.createElement("style");
    style.id = "ws-axe-settle";
    style.textContent = "*, *::before, *::after { transition: none !important; animation: none !important; }";
    document.head.appendChild(style);
}"""


def run_axe(page, context=None, options=None):
    """axe's results on the page as it is now (a dict: ``violations``, ``url``...).

    ``context`` is axe's include/exclude selector (the whole document by default)."""
    # The script defines ``window.axe``; injecting it again on the same page is harmless.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    # Colours are measured as they end, not halfway through a transition (a button just turned primary
    # reads as a blend of its two colours for 0.1 s): transitions and animations finish at once.
    page.evaluate(SETTLE_STYLES)
    return page.evaluate(
        "([context, options]) => window.axe.run(context || document, options)",
        [context, options or RUN_OPTIONS],
    )


def _without_upstream(page, violations):
    """``violations`` less the nodes that ``UPSTREAM`` names (decided in the page, where the elements are)."""
    known = [[rule, selector] for rule, selector, _why in UPSTREAM]
    return page.evaluate(
        """([violations, known]) => violations.map(violation => ({
            ...violation,
            nodes: violation.nodes.filter(node => {
                const element = node.target.length === 1 ? document.querySelector(node.target[0]) : null;
                return !known.some(([rule, selector]) => rule === violation.id && element && element.matches(selector));
            }),
        })).filter(violation => violation.nodes.length)""",
        [violations, known],
    )


def serious_violations(page, context=None):
    """The critical and serious violations axe finds on the page, each one a dict as axe returns it."""
    results = run_axe(page, context)
    failing = [violation for violation in results["violations"] if violation["impact"] in FAILING_IMPACTS]
    return _without_upstream(page, failing) if failing else []


def count_nodes(violations):
    """How many elements fail, all rules together (what "22 serious failures" counts)."""
    return sum(len(violation["nodes"]) for violation in violations)


def report(violations, limit=8):
    """A readable message: each rule, then its failing elements (selector, snippet, axe's explanation)."""
    if not violations:
        return "no critical or serious violation"
    lines = [f"{count_nodes(violations)} element(s) fail {len(violations)} axe rule(s):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]")
        for node in violation["nodes"][:limit]:
            target = " ".join(str(part) for part in node["target"])
            snippet = " ".join(node["html"].split())[:160]
            lines.append(f"    {target}\n      {snippet}")
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > limit:
            lines.append(f"    ... and {len(violation['nodes']) - limit} more")
    return "\n".join(lines)
