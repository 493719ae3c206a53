"""The support page as a Wagtail page type, with Wagtail's own page tests (``WagtailPageTestCase``).

Where it can be created, that each route resolves and renders, that editors can create and edit it in
the admin (including the "next steps" StreamField and its validation), and that a site can swap the
ticket form through the ``get_ticket_form_class`` seam.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, querydict_from_html, rich_text, streamfield

from example_site.home.models import HomePage
from tests import factories
from wagtail_support.forms import TicketForm
from wagtail_support.models import Ticket
from wagtail_support.pages import AbstractSupportPage, NextStepBlock, SupportPage

pytestmark = pytest.mark.django_db


def make_home():
    """The example site's tree: a HomePage as the default site's root, as ``support_demo`` builds it."""
    root = Page.get_first_root_node()
    home = HomePage(title="Home", slug="home-page", intro="<p>Welcome</p>")
    root.add_child(instance=home)
    site = Site.objects.get(is_default_site=True)
    site.root_page = home
    site.save()
    return home


def make_support_page(parent, **kwargs):
    kwargs.setdefault("title", "Support")
    kwargs.setdefault("slug", "support")
    page = SupportPage(**kwargs)
    parent.add_child(instance=page)
    return SupportPage.objects.get(pk=page.pk)


class SupportPageTypeTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.home = make_home()
        cls.docs = cls.home.add_child(instance=Page(title="Documentation", slug="docs"))
        cls.page = make_support_page(
            cls.home,
            intro="<p>How can we help?</p>",
            next_steps=[
                ("link", {"title": "Read the documentation", "description": "Guides", "page": cls.docs, "url": ""}),
                ("link", {"title": "Status page", "description": "", "page": None, "url": "https://status.example.com"}),
            ],
        )
        cls.requester = factories.make_user("rita", first_name="Rita", last_name="Requester")
        cls.ticket = factories.open_ticket(cls.requester, subject="Printer jammed")

    # Where it can be created -----------------------------------------------------------------------------

    def test_can_be_created_under_the_home_page(self):
        self.assertCanCreateAt(HomePage, SupportPage)

    def test_can_be_created_under_a_plain_page(self):
        self.assertCanCreateAt(Page, SupportPage)

    def test_abstract_base_is_not_a_page_type(self):
        self.assertTrue(AbstractSupportPage._meta.abstract)
        self.assertNotIn(AbstractSupportPage, Page.allowed_subpage_models())

    def test_editor_creates_a_support_page_in_the_admin(self):
        self.login()

        self.assertCanCreate(
            self.home,
            SupportPage,
            nested_form_data(
                {
                    "title": "Help desk",
                    "intro": rich_text("<p>Write to us.</p>"),
                    "confirmation_text": rich_text("<p>We answer within a day.</p>"),
                    "next_steps": streamfield(
                        [("link", {"title": "Getting started", "description": "", "page": "", "url": "https://docs.example.com/start"})]
                    ),
                }
            ),
        )

        created = SupportPage.objects.get(slug="help-desk")
        self.assertTrue(created.live)
        self.assertEqual(created.get_parent().pk, self.home.pk)
        self.assertIn("Write to us.", created.intro)
        self.assertEqual(created.next_steps[0].value["url"], "https://docs.example.com/start")
        # And the new page serves the form at once.
        response = self.client.get(created.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="subject"')
        self.assertContains(response, 'href="https://docs.example.com/start"')

    def test_admin_refuses_a_next_step_without_page_or_address(self):
        self.login()
        count = SupportPage.objects.count()
        add_url = reverse("wagtailadmin_pages:add", args=["wagtail_support", "supportpage", self.home.pk])

        response = self.client.post(
            add_url,
            nested_form_data(
                {
                    "title": "Broken links",
                    "slug": "broken-links",
                    "intro": rich_text(""),
                    "confirmation_text": rich_text(""),
                    "next_steps": streamfield([("link", {"title": "Nowhere", "description": "", "page": "", "url": ""})]),
                    "action-publish": "action-publish",
                }
            ),
        )

        self.assertEqual(response.status_code, 200)
        self.assertEqual(SupportPage.objects.count(), count)
        self.assertIn("next_steps", response.context["form"].errors)

    # Routes ----------------------------------------------------------------------------------------------

    def test_routes_resolve(self):
        self.assertPageIsRoutable(self.page)
        for route_path in (
            "tickets/",
            "tickets/find/",
            f"tickets/{self.ticket.number}/",
            f"tickets/{self.ticket.number}/reply/",
            f"tickets/{self.ticket.number}/close/",
            f"tickets/{self.ticket.number}/reopen/",
            f"submitted/{self.ticket.number}/",
        ):
            with self.subTest(route_path=route_path):
                self.assertPageIsRoutable(self.page, route_path=route_path)

    def test_unknown_routes_do_not_resolve(self):
        for route_path in ("nothing-here/", "tickets/abc/", "submitted/"):
            with self.subTest(route_path=route_path), self.assertRaises(AssertionError):
                self.assertPageIsRoutable(self.page, route_path=route_path)

    def test_form_renders(self):
        self.assertPageIsRenderable(self.page)
        self.assertPageIsRenderable(self.page, user=self.requester)
        self.assertPageIsRenderable(self.page, query_data={"subject": "Printer"})

    def test_next_steps_render_beside_the_form(self):
        response = self.client.get(self.page.url)

        self.assertContains(response, "Next steps")
        self.assertContains(response, f'<a href="{self.docs.url}">Read the documentation</a>', html=True)
        self.assertContains(response, '<a href="https://status.example.com">Status page</a>', html=True)
        self.assertContains(response, "How can we help?")

    def test_ticket_list_renders(self):
        self.assertPageIsRenderable(self.page, route_path="tickets/")
        self.assertPageIsRenderable(self.page, route_path="tickets/", user=self.requester)
        self.assertPageIsRenderable(
            self.page, route_path="tickets/", user=self.requester, query_data={"status": "open", "kind": "bug", "period": "week"}
        )

    def test_ticket_page_renders_for_its_requester(self):
        self.assertPageIsRenderable(self.page, route_path=f"tickets/{self.ticket.number}/", user=self.requester)
        self.assertPageIsRenderable(self.page, route_path=f"submitted/{self.ticket.number}/", user=self.requester)

    def test_ticket_page_asks_anonymous_visitors_to_log_in(self):
        self.assertPageIsRenderable(self.page, route_path=f"tickets/{self.ticket.number}/", accept_redirect=True)
        with self.assertRaises(AssertionError):
            # Without a link, an anonymous visitor never gets the page itself.
            self.assertPageIsRenderable(self.page, route_path=f"tickets/{self.ticket.number}/")

    def test_bad_link_renders_its_404_page(self):
        self.assertPageIsRenderable(
            self.page, route_path=f"tickets/{self.ticket.number}/", query_data={"t": "forged"}, accept_404=True
        )

    def test_find_tickets_renders(self):
        self.assertPageIsRenderable(self.page, route_path="tickets/find/", post_data={"email": "rita@example.com"})

    def test_submission_through_the_page(self):
        self.assertPageIsRenderable(
            self.page,
            post_data={
                "name": "Ann",
                "email": "ann@example.com",
                "subject": "Sent through the page test",
                "description": "Hello",
                "kind": "question",
                "priority": "normal",
            },
            accept_redirect=True,
        )
        ticket = Ticket.objects.get(subject="Sent through the page test")
        self.assertEqual(ticket.submitted_from_id, self.page.pk)
        self.assertEqual(ticket.site.root_page_id, self.home.pk)

    # Editing in the admin --------------------------------------------------------------------------------

    def edit_form_data(self, next_steps=None):
        """The admin edit form of the page as an editor's browser would post it.

        The StreamField editor is built by JavaScript, so its fields are not in the HTML: they are added
        here in the form the editor posts (``wagtail.test.utils.form_data.streamfield``).
        """
        edit_url = reverse("wagtailadmin_pages:edit", args=[self.page.pk])
        response = self.client.get(edit_url)
        self.assertEqual(response.status_code, 200)
        data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
        if next_steps is None:
            next_steps = [
                ("link", {"title": "Read the documentation", "description": "Guides", "page": str(self.docs.pk), "url": ""}),
                ("link", {"title": "Status page", "description": "", "page": "", "url": "https://status.example.com"}),
            ]
        data.update(nested_form_data({"next_steps": streamfield(next_steps)}))
        return edit_url, data

    def test_is_editable(self):
        self.login()
        _, data = self.edit_form_data()
        self.client.logout()

        self.assertPageIsEditable(self.page, post_data=data)

    def test_editor_changes_the_page_in_the_admin(self):
        self.login()
        edit_url, data = self.edit_form_data()
        data["title"] = "Customer support"
        data["intro"] = rich_text("<p>New introduction</p>")
        data["action-publish"] = "action-publish"

        response = self.client.post(edit_url, data)

        self.assertEqual(response.status_code, 302)
        page = SupportPage.objects.get(pk=self.page.pk)
        self.assertEqual(page.title, "Customer support")
        self.assertIn("New introduction", page.intro)
        # The next steps came through the round trip untouched.
        self.assertEqual([block.value["title"] for block in page.next_steps], ["Read the documentation", "Status page"])
        self.assertEqual(page.next_steps[0].value["page"].pk, self.docs.pk)
        self.assertContains(self.client.get(page.url), "New introduction")

    def test_editor_cannot_save_a_next_step_without_page_or_address(self):
        self.login()
        edit_url, data = self.edit_form_data(
            next_steps=[("link", {"title": "Status page", "description": "", "page": "", "url": ""})]
        )
        data["action-publish"] = "action-publish"

        response = self.client.post(edit_url, data)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Choose a page or give an address.")
        page = SupportPage.objects.get(pk=self.page.pk)
        self.assertEqual(len(page.next_steps), 2)
        self.assertEqual(page.next_steps[1].value["url"], "https://status.example.com")


# The "next steps" block ----------------------------------------------------------------------------------


def test_next_step_without_page_or_address_is_refused():
    block = NextStepBlock()
    value = block.to_python({"title": "Docs", "description": "", "page": None, "url": ""})

    with pytest.raises(StructBlockValidationError) as raised:
        block.clean(value)

    assert "url" in raised.value.block_errors
    assert [str(m) for m in raised.value.block_errors["url"]] == ["Choose a page or give an address."]


def test_next_step_with_an_address_or_a_page_is_accepted(support_page):
    block = NextStepBlock()

    with_url = block.clean(block.to_python({"title": "Docs", "description": "", "page": None, "url": "https://docs.example.com"}))
    with_page = block.clean(block.to_python({"title": "Home", "description": "", "page": support_page.pk, "url": ""}))

    assert with_url["url"] == "https://docs.example.com"
    assert with_page["page"].pk == support_page.pk


def test_next_step_address_must_be_a_web_address():
    block = NextStepBlock()

    with pytest.raises(ValidationError):
        block.clean(block.to_python({"title": "Evil", "description": "", "page": None, "url": "javascript:alert(1)"}))


# The get_ticket_form_class seam --------------------------------------------------------------------------


class OrderTicketForm(TicketForm):
    """What a shop might use: the subject must quote an order number."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].help_text = "Start with your order number, e.g. ORDER-123."

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        if not subject.startswith("ORDER-"):
            raise ValidationError("Quote your order number first, e.g. ORDER-123.")
        return subject


@pytest.fixture
def order_form_page(support_page, monkeypatch, empty_cache):
    monkeypatch.setattr(SupportPage, "get_ticket_form_class", lambda self: OrderTicketForm)
    return support_page


def _data(**overrides):
    data = {
        "name": "Ann",
        "email": "ann@example.com",
        "subject": "Parcel never arrived",
        "description": "Ordered two weeks ago.",
        "kind": "other",
        "priority": "normal",
    }
    data.update(overrides)
    return data


def test_site_form_class_is_used_on_the_page(client, order_form_page):
    response = client.get(order_form_page.url)

    assert response.status_code == 200
    assert "Start with your order number, e.g. ORDER-123." in response.content.decode()


def test_site_form_class_rules_apply_to_submissions(client, order_form_page):
    refused = client.post(order_form_page.url, _data())

    assert refused.status_code == 200
    assert "Quote your order number first, e.g. ORDER-123." in refused.content.decode()
    assert Ticket.objects.count() == 0

    accepted = client.post(order_form_page.url, _data(subject="ORDER-77 Parcel never arrived"))

    assert accepted.status_code == 302
    assert Ticket.objects.get().subject == "ORDER-77 Parcel never arrived"


def test_default_form_has_no_such_rule(client, support_page, empty_cache):
    """The control for the seam tests: without the override, the same subject is accepted."""
    assert client.post(support_page.url, _data()).status_code == 302
    assert Ticket.objects.get().subject == "Parcel never arrived"
