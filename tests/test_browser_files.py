"""Browser tests: the files a visitor chooses, and the error summary, in real headless Chromium.

The chosen files are listed by name and size with a button to remove each; a file the server would refuse
is refused in the browser before it is uploaded; after a failed submit the error summary takes the focus,
links to its fields, and the files already chosen are kept for the next try. See tests/browser_support.py
for how Chromium and the live server are run.
"""

import io
import re

import pytest

from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab  # noqa: F401 - fixtures

pytestmark = BROWSER_TEST_MARKS

VISITOR_EMAIL = "felix.files@example.com"


@pytest.fixture
def live_support_page(category):
    """A live support page at /support/ under the default site's root page."""
    from django.core.cache import cache
    from wagtail.models import Site

    from wagtail_support.pages import SupportPage

    cache.clear()  # rate limits count per client address, and every test's client is 127.0.0.1
    site = Site.objects.get(is_default_site=True)
    page = SupportPage(title="Support", slug="support", intro="<p>Tell us what went wrong.</p>")
    site.root_page.add_child(instance=page)
    return page


def make_png(path):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (40, 110, 200)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def chosen_names(page):
    return page.locator("[data-ws-chosen] .ws-file-list__name").all_inner_texts()


def input_file_names(page, selector="input[type=file][name=attachments]"):
    return page.eval_on_selector(selector, "input => Array.from(input.files, file => file.name)")


def fill_ticket(page, subject="Export fails with a 500"):
    page.get_by_label("Your name").fill("Felix Files")
    page.get_by_label("Your email address").fill(VISITOR_EMAIL)
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Description").fill("The export page answers 500 since this morning.")


def test_chosen_files_are_listed_removable_and_kept_across_an_error(open_tab, live_support_page, tmp_path):
    from playwright.sync_api import expect

    from wagtail_support.models import Attachment, PendingUpload, Ticket

    png = make_png(tmp_path / "export-error.png")
    log = tmp_path / "console.txt"
    log.write_text("TypeError: rows is undefined\n")

    tab = open_tab()
    page = tab.page
    page.goto("/support/")
    fill_ticket(page, subject="")

    # Two files chosen: both listed by name and size, each with its own remove button.
    page.get_by_label("Attachments").set_input_files([str(png), str(log)])
    expect(page.locator("[data-ws-chosen] li")).to_have_count(2)
    assert chosen_names(page) == ["export-error.png", "console.txt"]
    expect(page.locator("[data-ws-chosen] li").first).to_contain_text(re.compile(r"\d+ bytes"))

    # Removing one takes it out of the list and out of what the form will send.
    page.get_by_role("button", name="Remove console.txt").click()
    expect(page.locator("[data-ws-chosen] li")).to_have_count(1)
    assert chosen_names(page) == ["export-error.png"]
    assert input_file_names(page) == ["export-error.png"]
    # The focus stays in the list (on the next remove button), not lost on the page.
    assert page.evaluate("() => document.activeElement.textContent") == "Remove export-error.png"

    # Sent without a subject: the error summary takes the focus and links to the field.
    page.locator("[data-action=submit-ticket]").click()
    summary = page.locator("[data-ws-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("There is a problem")
    link = summary.get_by_role("link", name=re.compile("Subject"))
    expect(link).to_have_attribute("href", "#id_subject")
    assert "Please correct the errors below" not in page.content()
    link.click()
    expect(page.get_by_label("Subject")).to_be_focused()

    # The remaining file is kept for this try, listed by name with its size; nothing was lost.
    kept = page.locator("[data-ws-kept] li")
    expect(kept).to_have_count(1)
    expect(kept).to_contain_text("export-error.png")
    assert PendingUpload.objects.count() == 1
    assert Ticket.objects.count() == 0

    # Fixed and sent: the ticket has exactly that one file.
    page.get_by_label("Subject").fill("Export fails with a 500")
    page.locator("[data-action=submit-ticket]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we received your request")
    ticket = Ticket.objects.get(requester_email=VISITOR_EMAIL)
    assert list(Attachment.objects.filter(message__ticket=ticket).values_list("filename", flat=True)) == [
        "export-error.png"
    ]
    assert png.read_bytes() == Attachment.objects.get().file.open("rb").read()
    assert PendingUpload.objects.count() == 0
    tab.check()


def test_a_file_too_large_is_refused_in_the_browser_before_upload(open_tab, live_support_page, tmp_path, settings):
    from playwright.sync_api import expect

    from wagtail_support.models import Attachment, Ticket

    settings.WAGTAILSUPPORT_MAX_ATTACHMENT_SIZE = 20_000
    big = tmp_path / "huge-dump.txt"
    big.write_text("x" * 30_000)
    page_too = tmp_path / "page.html"
    page_too.write_text("<html><body>hello</body></html>")
    small = make_png(tmp_path / "small.png")

    tab = open_tab()
    page = tab.page
    posted = []
    page.on(
        "request",
        lambda request: request.method == "POST" and posted.append(len(request.post_data_buffer or b"")),
    )
    page.goto("/support/")
    fill_ticket(page)
    page.get_by_label("Attachments").set_input_files([str(big), str(page_too), str(small)])

    refused = page.locator("[data-ws-refused] li")
    expect(refused).to_have_count(2)
    expect(refused.nth(0)).to_contain_text("huge-dump.txt is too large")
    expect(refused.nth(0)).to_contain_text("the limit is 19.5\xa0KB per file")
    expect(refused.nth(1)).to_contain_text("page.html is not a file type we accept")
    assert chosen_names(page) == ["small.png"]
    assert input_file_names(page) == ["small.png"]

    page.locator("[data-action=submit-ticket]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we received your request")
    # The big file never left the browser.
    assert posted and max(posted) < 20_000, posted
    ticket = Ticket.objects.get(requester_email=VISITOR_EMAIL)
    assert list(Attachment.objects.filter(message__ticket=ticket).values_list("filename", flat=True)) == ["small.png"]
    tab.check()


def test_the_form_with_kept_files_and_its_error_summary_pass_axe_in_light_and_dark(
    open_tab, live_support_page, tmp_path
):
    from playwright.sync_api import expect

    from tests.axe_support import report, serious_violations

    png = make_png(tmp_path / "screenshot.png")
    for scheme in ("light", "dark"):
        tab = open_tab()
        page = tab.page
        page.emulate_media(color_scheme=scheme)
        if scheme == "dark":
            # The host page declares a dark scheme (as tests/test_browser_axe.py does): support.css goes dark.
            page.add_init_script(
                "document.addEventListener('DOMContentLoaded', () => {"
                " const meta = document.createElement('meta'); meta.name = 'color-scheme';"
                " meta.content = 'light dark'; document.head.append(meta); });"
            )
        page.goto("/support/")
        fill_ticket(page, subject="")
        page.get_by_label("Attachments").set_input_files(str(png))
        page.locator("[data-action=submit-ticket]").click()
        expect(page.locator("[data-ws-error-summary]")).to_be_focused()
        expect(page.locator("[data-ws-kept] li")).to_have_count(1)
        # A file chosen now as well, so that both lists are on the page.
        page.get_by_label("Attachments").set_input_files(str(png))
        expect(page.locator("[data-ws-chosen] li")).to_have_count(1)
        if scheme == "dark":
            background = page.evaluate("getComputedStyle(document.querySelector('.ws')).backgroundColor")
            assert background in ("rgb(13, 17, 23)",), f"the dark palette is not on ({background})"
        violations = serious_violations(page)
        assert not violations, f"{scheme}: {report(violations)}"
        tab.check()
