"""Configuration that fits people: a team's members ticked among the agents by full name, the service
catalog in tree order wherever an entry is chosen or listed, and saved replies in the ticket's language
first. (The mail logs' labels and preview are in ``test_admin_config``; the history in ``test_history``.)
"""

import pytest
from django.test import override_settings
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission

from tests import factories
from wagtail_support.admin.viewsets import url_for
from wagtail_support.forms import TicketForm
from wagtail_support.models import Category, Team

pytestmark = pytest.mark.django_db


def soup(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def team_form_post(team, **overrides):
    data = {
        "name": team.name,
        "slug": team.slug,
        "contact_email": team.contact_email,
        "inbound_email": team.inbound_email,
        "is_active": "on",
    }
    data.update(overrides)
    return data


# Team members: a filtered checkbox list of the agents ----------------------------------------------------


@pytest.fixture
def people(team, agent, colleague, supervisor, requester, django_user_model):
    """Everyone a site has: agents, a supervisor, a requester, an editor, a superuser, a direct holder of
    the agent permission and an agent whose account was closed."""
    editor = factories.make_user("editor", first_name="Eddie", last_name="Editor")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    owner = django_user_model.objects.create_superuser("owner", "owner@example.com", factories.PASSWORD)
    direct = factories.make_user("dina", first_name="Dina", last_name="Direct")
    direct.user_permissions.add(Permission.objects.get(codename="work_on_tickets"))
    gone = factories.make_agent("gone", first_name="Gus", last_name="Gone")
    gone.is_active = False
    gone.save()
    return {"editor": editor, "owner": owner, "direct": direct, "gone": gone, "colleague": colleague}


def member_boxes(page):
    return {box["value"]: box for box in page.select('input[type="checkbox"][name="members"]')}


def test_team_members_are_the_agents_ticked_by_full_name(client, supervisor, team, agent, colleague, people):
    client.force_login(supervisor)

    page = soup(client.get(url_for(Team, "edit", team.pk)))

    boxes = member_boxes(page)
    labels = {value: page.find("label", attrs={"for": box["id"]}).get_text(" ", strip=True) for value, box in boxes.items()}
    assert labels == {
        str(agent.pk): "Alice Agent (agent)",
        str(colleague.pk): "Carl Colleague (colleague)",
        str(supervisor.pk): "Sue Supervisor (supervisor)",
        str(people["direct"].pk): "Dina Direct (dina)",
    }
    # The current members are ticked, the others not; no requester, editor, superuser or closed account.
    assert {value for value, box in boxes.items() if box.has_attr("checked")} == {str(agent.pk), str(colleague.pk)}
    # In the order people read names: by first name.
    assert list(labels.values()) == sorted(labels.values())
    # Checkboxes, not a multiple <select> where a plain click unselects everyone else.
    assert not page.select('select[name="members"]')


def test_the_members_list_has_a_labelled_filter_box(client, supervisor, team, agent):
    client.force_login(supervisor)

    page = soup(client.get(url_for(Team, "create")))

    box = page.select_one('[data-wsw-checklist] input[type="search"]')
    label = page.find("label", attrs={"for": box["id"]})
    assert label.get_text(strip=True) == "Find an agent"
    assert box["aria-controls"] == page.select_one(".wsw-checklist__list")["id"]
    assert page.find("script", src=lambda src: src and src.endswith("wagtail_support/admin/checkbox-filter.js"))


def test_ticking_members_saves_exactly_those(client, supervisor, team, agent, colleague, people):
    client.force_login(supervisor)

    response = client.post(
        url_for(Team, "edit", team.pk), team_form_post(team, members=[colleague.pk, people["direct"].pk])
    )

    assert response.status_code == 302
    assert set(team.members.all()) == {colleague, people["direct"]}


@pytest.mark.parametrize("who", ["requester", "editor", "owner", "gone"])
def test_a_non_agent_posted_by_hand_is_refused(client, supervisor, team, agent, requester, people, who):
    outsider = requester if who == "requester" else people[who]
    client.force_login(supervisor)

    response = client.post(url_for(Team, "edit", team.pk), team_form_post(team, members=[agent.pk, outsider.pk]))

    assert response.status_code == 200
    errors = soup(response).select_one(".w-field--error, .error-message, .w-field__errors")
    assert errors is not None and "valid choice" in response.content.decode()
    assert set(team.members.all()) == {agent, people["colleague"]}  # unchanged


def test_a_member_who_is_no_longer_an_agent_stays_offered_until_unticked(client, supervisor, team, agent, requester):
    # Someone added before the rule (or whose group was taken away): shown ticked, so saving the
    # form keeps them unless a supervisor unticks them.
    team.members.add(requester)
    client.force_login(supervisor)

    boxes = member_boxes(soup(client.get(url_for(Team, "edit", team.pk))))
    assert boxes[str(requester.pk)].has_attr("checked")

    client.post(url_for(Team, "edit", team.pk), team_form_post(team, members=[agent.pk, requester.pk]))
    assert set(team.members.all()) == {agent, requester}
    client.post(url_for(Team, "edit", team.pk), team_form_post(team, members=[agent.pk]))
    assert set(team.members.all()) == {agent}


# The service catalog in tree order ----------------------------------------------------------------------


@pytest.fixture
def catalog(team):
    """A catalog created out of order: children before parents, names whose byte order differs."""
    software = factories.make_category("Software", team, sort_order=2)
    hardware = factories.make_category("Hardware", team, sort_order=1)
    return {
        "zoom": factories.make_category("Zoom", parent=software),
        "ecole": factories.make_category("École en ligne", parent=software),
        "excel": factories.make_category("excel", parent=software),
        "software": software,
        "printers": factories.make_category("Printers", parent=hardware),
        "laptops": factories.make_category("Laptops", parent=hardware),
        "hardware": hardware,
        "old": factories.make_category("Old", parent=hardware, is_active=False),
    }


TREE_ORDER = [
    "Hardware",
    "Hardware › Laptops",
    "Hardware › Printers",
    "Software",
    "Software › École en ligne",
    "Software › excel",
    "Software › Zoom",
]

# With the inactive entry, in its place.
WITH_OLD = TREE_ORDER[:2] + ["Hardware › Old"] + TREE_ORDER[2:]


def option_labels(select):
    return [option.get_text(strip=True) for option in select.find_all("option") if option.get("value")]


def test_the_visitor_topic_list_is_in_tree_order(catalog):
    form = TicketForm()

    assert [label for value, label in form.fields["category"].choices if value] == TREE_ORDER


def test_the_parent_entry_select_is_in_tree_order_without_the_entry_and_its_children(client, supervisor, catalog):
    client.force_login(supervisor)

    page = soup(client.get(url_for(Category, "edit", catalog["hardware"].pk)))

    # Neither Hardware nor what is under it (a loop); the inactive entry is under Hardware too.
    assert option_labels(page.select_one('select[name="parent"]')) == [
        "Software",
        "Software › École en ligne",
        "Software › excel",
        "Software › Zoom",
    ]
    create_page = soup(client.get(url_for(Category, "create")))
    assert option_labels(create_page.select_one('select[name="parent"]')) == WITH_OLD


@pytest.mark.parametrize("parent", ["hardware", "laptops"])
def test_an_entry_cannot_be_put_under_itself_or_its_children(client, supervisor, catalog, parent):
    client.force_login(supervisor)
    hardware = catalog["hardware"]

    response = client.post(
        url_for(Category, "edit", hardware.pk),
        {"name": "Hardware", "parent": catalog[parent].pk, "sort_order": 1, "is_active": "on"},
    )

    assert response.status_code == 200 and "valid choice" in response.content.decode()
    hardware.refresh_from_db()
    assert hardware.parent is None


def test_moving_an_entry_under_another_parent(client, supervisor, catalog):
    client.force_login(supervisor)

    response = client.post(
        url_for(Category, "edit", catalog["printers"].pk),
        {"name": "Printers", "parent": catalog["software"].pk, "sort_order": 0, "is_active": "on"},
    )

    assert response.status_code == 302
    assert Category.objects.get(pk=catalog["printers"].pk).parent == catalog["software"]


def test_the_catalog_listing_is_in_tree_order(client, supervisor, catalog):
    client.force_login(supervisor)

    page = soup(client.get(url_for(Category, "index")))

    names = [row.select("td")[0].get_text(" ", strip=True) for row in page.select("table.listing tbody tr")]
    assert [name.split(" Edit")[0] for name in names] == WITH_OLD


def test_an_inactive_entry_kept_on_a_ticket_is_shown_in_its_place(catalog):
    from wagtail_support.forms import CatalogChoiceField

    field = CatalogChoiceField()
    field.set_tree(Category.objects.tree(), keep=catalog["old"].pk)

    labels = [label for value, label in field.choices if value]
    assert labels == WITH_OLD


# Saved replies in the ticket's language first ----------------------------------------------------------


from django.urls import reverse  # noqa: E402

from wagtail.models import Locale  # noqa: E402

from wagtail_support.models import CannedResponse, Ticket  # noqa: E402


@pytest.fixture
def french(db):
    return Locale.objects.get_or_create(language_code="fr")[0]


@pytest.fixture
def saved_replies(team, other_team, french):
    # A reply's language is its locale; one written for no language in particular is the default locale's.
    locales = {"en": Locale.objects.get(language_code="en"), "fr": french}

    def make(title, language="", **kwargs):
        if language:
            kwargs["locale"] = locales[language]
        return CannedResponse.objects.create(title=title, body=f"{title} text", **kwargs)

    return [
        make("Anglais", "en", sort_order=1),
        make("Any language"),
        make("Français", "fr", sort_order=2),
        make("Français B", "fr", sort_order=1),
        make("Other team", "fr", team=other_team),
        make("Retired", "fr", is_active=False),
    ]


def offered_titles(client, ticket):
    page = soup(client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk])))
    return [option.get_text(strip=True) for option in page.select("#wsw-canned-select option") if option.get("value")]


def test_a_french_ticket_offers_the_french_replies_first(client, agent, requester, category, saved_replies):
    ticket = factories.open_ticket(requester, category=category, language="fr")
    client.force_login(agent)

    assert offered_titles(client, ticket) == ["Français B", "Français", "Any language", "Anglais"]


def test_an_english_ticket_offers_the_english_replies_first(client, agent, requester, category, saved_replies):
    ticket = factories.open_ticket(requester, category=category, language="en-gb")
    client.force_login(agent)

    # "Any language" has the default locale: English, like "Anglais", and first by its order.
    assert offered_titles(client, ticket) == ["Any language", "Anglais", "Français B", "Français"]


@override_settings(LANGUAGE_CODE="fr")
def test_a_ticket_without_a_language_uses_the_sites(agent, requester, category, saved_replies):
    ticket = factories.open_ticket(requester, category=category)
    Ticket.objects.filter(pk=ticket.pk).update(language="")
    ticket.refresh_from_db()

    assert [r.title for r in CannedResponse.objects.offered_for(ticket)] == ["Français B", "Français", "Any language", "Anglais"]


def test_the_language_of_a_saved_reply_is_chosen_among_the_sites(client, supervisor, team, french):
    client.force_login(supervisor)
    english = Locale.objects.get(language_code="en")

    page = soup(client.get(url_for(CannedResponse, "create")))
    options = [(o["value"], o.get_text(strip=True)) for o in page.select('select[name="language"] option')]
    assert options == [(str(english.pk), "English"), (str(french.pk), "French")]

    response = client.post(
        url_for(CannedResponse, "create"),
        {"title": "Bonjour", "body": "Bonjour {requester_name}", "language": french.pk, "sort_order": 0, "is_active": "on"},
    )
    assert response.status_code == 302
    assert CannedResponse.objects.get(title="Bonjour").locale == french
    listing = soup(client.get(url_for(CannedResponse, "index"))).get_text(" ", strip=True)
    assert "French" in listing

    refused = client.post(
        url_for(CannedResponse, "create"),
        {"title": "Hola", "body": "Hola", "language": "xx-evil", "sort_order": 0, "is_active": "on"},
    )
    assert refused.status_code == 200 and not CannedResponse.objects.filter(title="Hola").exists()


# Wording ---------------------------------------------------------------------------------------------------


def test_the_conversation_says_public_replies_and_internal_notes(client, agent, ticket):
    client.force_login(agent)

    text = soup(client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk]))).get_text(" ", strip=True)

    assert "Public replies" in text and "Internal notes" in text
    assert "journal" not in text.lower()


# In Chromium: the filter box narrows the list, a click never unticks the others ------------------------


from tests.browser_support import BROWSER_TEST_MARKS, browser, open_tab  # noqa: E402, F401 - fixtures


@pytest.mark.browser
@BROWSER_TEST_MARKS[1]
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_in_a_browser_the_filter_box_narrows_the_members_and_a_click_keeps_the_others(
    team, agent, colleague, supervisor, requester, open_tab, live_server
):
    from django.conf import settings
    from django.test import Client

    tab = open_tab()
    client = Client()
    client.force_login(supervisor)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    tab.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = tab.page
    url = url_for(Team, "edit", team.pk)
    page.goto(url)

    box = page.get_by_label("Find an agent")
    assert box.is_visible()
    box.fill("carl")
    visible = page.locator(".wsw-checklist__item:visible")
    assert visible.count() == 1 and "Carl Colleague" in visible.inner_text()
    assert page.locator("[data-wsw-checklist-count]").inner_text() == "1 of 3 agents shown"
    # Ticking Sue while the others are hidden keeps Alice and Carl ticked.
    box.fill("sue")
    page.get_by_label("Sue Supervisor (supervisor)").check()
    box.press("Enter")  # does not submit the form
    assert page.url.endswith(url)
    box.fill("")
    assert page.locator(".wsw-checklist__item:visible").count() == 3
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(lambda current: "/edit/" not in current)
    tab.check()
    assert set(team.members.all()) == {agent, colleague, supervisor}
    assert requester not in team.members.all()
