"""The offer form's rough edges, as a donor meets them in headless Chromium, at desktop and phone
widths, axe-clean: Change links that land on their field, optional questions marked and folded
away, a 40-line offer of a reasonable height, a tourniquet's model asked once, a live check that
waits for a complete line, the save-for-later address filled in, and a favicon."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_axe_violations
from tests.e2e.pages import OfferFormPage, focused_id

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ARMOR = {
    "category": "body_armor",
    "description": "Patrol vests",
    "quantity": "25",
    "condition": "good",
    "acquired_via": "own_funds",
    "protection_level": "IIIA",
    "expires_on": "2031-05-01",
    "damaged": "no",
}
REQUIRED = ("category", "description", "quantity", "condition", "acquired_via")
OPTIONAL = ("manufacturer", "model", "manufactured_on", "unit_value_usd", "serial_numbers")
LINES = 40


def in_viewport(page, element_id: str) -> bool:
    """Whether the element is wholly inside the visible part of the page (measured by the
    browser, so it works with JavaScript turned off too)."""
    box = page.locator(f"#{element_id}").bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def fill_two_lines(page, form: OfferFormPage) -> None:
    """Offer details, then a vest line with a model and a first-aid line below it."""
    form.fill_offer_details()
    form.fill_item(0, **ARMOR)
    page.click("#items-0 .app-more-details__summary")
    form.fill_item(0, model="Guardian X2")
    form.add_item()
    form.fill_item(
        1,
        category="medical",
        description="First-aid kits",
        quantity="40",
        condition="new",
        acquired_via="own_funds",
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_change_links_land_on_their_field_on_a_phone(live_server, browser, javascript) -> None:
    setup = browser.new_context(viewport=DESKTOP)
    page = setup.new_page()
    form = OfferFormPage(page, live_server).open()
    fill_two_lines(page, form)
    form.continue_to_check()
    cookies = setup.cookies()
    setup.close()

    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    context.add_cookies(cookies)
    phone = context.new_page()
    phone.goto(live_server.url("/offer/check"))
    if javascript:  # axe-core needs JavaScript
        assert_no_axe_violations(phone)
    # A question of the agency, one of the first line's category, an optional one folded
    # away, and a required one of the last line.
    for field_id in (
        "agency-city",
        "items-0-protection_level",
        "items-0-model",
        "items-1-quantity",
    ):
        phone.goto(live_server.url("/offer/check"))
        link = phone.locator(f"a[href$='#{field_id}']")
        assert link.count() == 1, field_id
        link.click()
        phone.wait_for_url(f"**/offer?change={field_id}#{field_id}")
        phone.wait_for_load_state("networkidle")
        assert in_viewport(phone, field_id), field_id
        if javascript:
            assert focused_id(phone) == field_id
    if javascript:
        assert_no_axe_violations(phone)
    context.close()


def csv_of_lines(count: int) -> bytes:
    rows = ["category,description,quantity,condition,acquired_via,protection_level,expires_on"]
    rows += [
        f"helmet,Helmet batch {n},{n},good,own_funds,IIIA,2031-01-01" for n in range(1, count + 1)
    ]
    return ("\n".join(rows) + "\n").encode()


def test_a_40_line_offer_is_compact_with_optional_questions_marked(live_server, page) -> None:
    form = OfferFormPage(page, live_server).open()
    form.fill_offer_details()
    page.click("text=Add many items from a spreadsheet (CSV)")
    page.set_input_files(
        "#items_csv",
        {"name": "items.csv", "mimeType": "text/csv", "buffer": csv_of_lines(LINES)},
    )
    with page.expect_navigation():
        page.click("button:has-text('Add the items from the file')")
    page.get_by_text(f"{LINES} items added from items.csv").wait_for()
    assert form.item_count() == LINES  # the blank first line gave way to the rows

    def label(name: str) -> str:
        return " ".join(page.text_content(f"label[for='items-1-{name}']").split())

    for name in REQUIRED:
        assert "(optional)" not in label(name), name
    for name in OPTIONAL:
        assert label(name).endswith("(optional)"), name
        assert not page.locator(f"#items-1-{name}").is_visible(), name  # folded away
    # Each complete line is folded into a summary of what it offers.
    assert page.inner_text("#items-1 .app-line__summary") == (
        "Item 2: 2 \u00d7 Ballistic helmet: Helmet batch 2"
    )
    assert not page.locator("#items-1-description").is_visible()
    more = " ".join(page.text_content("#items-1 .app-more-details__summary").split())
    assert more.startswith("More details: manufacturer, model") and more.endswith("(optional)")

    page.wait_for_load_state("networkidle")
    height = page.evaluate("document.documentElement.scrollHeight")
    per_line = height / LINES
    print(f"\n{LINES} item lines at 1280 px: page height {height} px, {per_line:.0f} px a line")
    assert height < 7_500, f"{height} px for {LINES} lines"
    assert_no_axe_violations(page)

    # A folded line opens with the keyboard, and so do its optional questions.
    page.focus("#items-1 .app-line__summary")
    page.keyboard.press("Enter")
    assert page.locator("#items-1-description").is_visible()
    assert not page.locator("#items-1-model").is_visible()
    page.focus("#items-1 .app-more-details__summary")
    page.keyboard.press("Enter")
    assert page.locator("#items-1-model").is_visible()

    page.set_viewport_size(PHONE)
    assert_no_axe_violations(page)


def test_a_tourniquets_model_is_asked_once(live_server, page) -> None:
    form = OfferFormPage(page, live_server).open()
    form.fill_offer_details()
    form.fill_item(
        0,
        category="tourniquet",
        description="Tourniquets",
        quantity="100",
        condition="new",
        acquired_via="own_funds",
    )
    page.click("#items-0 .app-more-details__summary")
    visible_models = page.locator("#items-0").get_by_label("Model", exact=False)
    assert visible_models.count() == 1
    assert visible_models.get_attribute("id") == "items-0-model"
    options = page.eval_on_selector_all(
        "#items-0-model-suggestions option", "options => options.map(o => o.value)"
    )
    assert "C-A-T Gen 7" in options and "SAM XT" in options
    live = form.live_result(0)
    expect(live).to_contain_text("TOURNIQUET-MODEL")  # no model yet: refused
    form.fill_item(0, model="SAM XT")
    expect(live).not_to_contain_text("TOURNIQUET-MODEL")
    expect(live).to_contain_text("Guideline result")
    assert_no_axe_violations(page)
    page.set_viewport_size(PHONE)
    assert_no_axe_violations(page)
    form.continue_to_check()
    assert page.locator("dt", has_text="Model").count() == 1
    assert "SAM XT" in page.inner_text("main")


def test_the_live_check_waits_for_a_complete_line(live_server, page) -> None:
    checks: list[str] = []
    page.on(
        "request",
        lambda request: checks.append(request.url) if "/api/v1/checks" in request.url else None,
    )
    form = OfferFormPage(page, live_server).open()
    form.fill_offer_details()
    form.fill_item(0, category="body_armor", condition="good", acquired_via="own_funds")
    page.locator("#items-0-description").press_sequentially("Patrol vests", delay=20)
    page.wait_for_timeout(1_000)  # longer than the debounce: any request would have gone
    assert checks == [], "a line without a quantity was sent"
    live = form.live_result(0)
    assert "required answers are complete" in live.inner_text()

    # The quantity completes the line: typed key by key, it is sent once, after the pause.
    page.locator("#items-0-quantity").press_sequentially("25", delay=20)
    live.get_by_text("Guideline result").wait_for()
    page.wait_for_timeout(1_000)
    assert len(checks) == 1
    # A word more in the description: one more request, not one a key.
    with page.expect_request("**/api/v1/checks"):
        page.locator("#items-0-description").press_sequentially(", size L", delay=20)
    page.wait_for_timeout(1_000)
    assert len(checks) == 2

    # A second, incomplete line sends nothing; an answer above the items checks every complete
    # line in one request.
    form.add_item()
    form.fill_item(1, category="radio")
    page.wait_for_timeout(1_000)
    assert len(checks) == 2
    with page.expect_request("**/api/v1/checks") as request:
        page.click("label[for='recipient-1']")
    page.wait_for_timeout(1_000)
    assert len(checks) == 3
    assert len(request.value.post_data_json["items"]) == 1  # the complete line only
    assert_no_axe_violations(page)


def test_save_for_later_offers_the_contacts_address(live_server, page) -> None:
    form = OfferFormPage(page, live_server).open()
    form.fill_offer_details()
    form.save_and_come_back_later()
    assert page.get_by_label("E-mail address").input_value() == "j.smith@springfield-il.gov"
    assert_no_axe_violations(page)
    page.set_viewport_size(PHONE)
    assert_no_axe_violations(page)


def test_the_browser_finds_a_favicon_and_no_404(live_server, page) -> None:
    failures: list[str] = []
    page.on("response", lambda r: failures.append(r.url) if r.status >= 400 else None)
    page.goto(live_server.url("/"))
    page.wait_for_load_state("networkidle")
    icon = page.get_attribute("link[rel=icon]", "href")
    response = page.request.get(live_server.url(icon))
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
    assert page.request.get(live_server.url("/favicon.ico")).ok
    assert failures == []
    assert response.body().startswith(b"<svg")
