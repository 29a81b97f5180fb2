"""The Incidents page and the incident view in headless Chromium, against the local adapter and moto."""

from __future__ import annotations

import re
from typing import Any

import pytest
from framewatch_api_stack import Stack
from playwright.sync_api import expect
from webui_fixtures import moving_box, shot

pytestmark = pytest.mark.browser
PAGE = 24  # incidents the page asks for at a time


def _incident(stack: Stack, label: str, camera: str) -> dict[str, Any]:
    return next(i for i in stack.incidents if i["label"] == label and i["camera_id"] == camera)


def _own_frames(stack: Stack, incident: dict[str, Any]) -> list[dict[str, Any]]:
    """The incident's frames oldest first, as the player plays them."""
    return sorted(
        (
            f
            for f in stack.frames
            if f["camera_id"] == incident["camera_id"]
            and incident["first_seen"] <= f["captured_at"] <= incident["last_seen"]
        ),
        key=lambda f: f["frame_key"],
    )


def _relative_box(page: Any, media: Any, box_selector: str) -> dict[str, float]:
    """A drawn box's place as ratios of the displayed image."""
    image = media.locator("img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    img = image.bounding_box()
    box = media.locator(box_selector).first.bounding_box()
    return {
        "left": (box["x"] - img["x"]) / img["width"],
        "top": (box["y"] - img["y"]) / img["height"],
        "width": box["width"] / img["width"],
        "height": box["height"] / img["height"],
    }


def _card_ids(page: Any) -> list[str]:
    return page.locator("#incident-list .incident-card").evaluate_all(
        "cards => cards.map(c => c.dataset.incidentId)"
    )


def _wait_for_cards(page: Any, ids: list[str]) -> None:
    page.wait_for_function(
        "ids => JSON.stringify([...document.querySelectorAll('#incident-list .incident-card')]"
        ".map(c => c.dataset.incidentId)) === JSON.stringify(ids)",
        arg=ids,
    )


def test_incidents_page_shows_one_card_per_incident(page: Any, incident_stack: Stack) -> None:
    stack = incident_stack
    page.goto(stack.api.url + "/#incidents")
    all_ids = [i["incident_id"] for i in stack.incidents]  # newest first
    assert len(all_ids) == 26
    cards = page.locator("#incident-list .incident-card")
    cards.nth(PAGE - 1).wait_for()
    # The page polls; the next answer (the same incidents) must not add copies.
    with page.expect_response(lambda r: "/api/incidents?" in r.url, timeout=15_000):
        pass
    page.wait_for_timeout(200)
    assert _card_ids(page) == all_ids[:PAGE]  # one card each, newest first
    page.get_by_role("button", name="Load older incidents").click()
    _wait_for_cards(page, all_ids)
    assert page.locator("#incidents-more").is_hidden()
    assert page.get_by_role("link", name="Incidents").get_attribute("aria-current") == "page"

    crossing = page.locator(
        f'.incident-card[data-incident-id="{_incident(stack, "Bicycle", "driveway")["incident_id"]}"]'
    )
    assert crossing.locator(".incident-title").inner_text() == "Bicycle"
    assert crossing.locator(".incident-camera").inner_text() == "driveway"
    assert crossing.locator(".incident-rule").inner_text() == "bikes"
    assert crossing.locator(".incident-duration").inner_text() == "7 s"
    assert crossing.locator(".incident-frames").inner_text() == "8 frames"
    # Start date and time, then only the end time: both ends are on one day.
    when = crossing.locator(".incident-when").inner_text()
    assert re.fullmatch(r".*\d\d:\d\d:\d\d( [AP]M)? \u2013 \d\d:\d\d:\d\d( [AP]M)?", when), when
    assert crossing.locator('[data-badge="state"]').inner_text() == "ended"
    assert crossing.locator('[data-badge="severity"]').inner_text() == "alert sent"
    assert crossing.locator(".badge-stationary").count() == 0
    # The best frame with the box of the object, where the pipeline recorded it.
    drawn = _relative_box(page, crossing.locator(".frame-media"), ".box")
    for side, expected in moving_box(4).items():
        assert drawn[side] == pytest.approx(expected, abs=0.01), side

    parked = page.locator(".incident-card", has_text="vehicles")
    assert parked.locator(".badge-stationary").inner_text() == "stationary"
    assert parked.locator('[data-badge="severity"]').inner_text() == "detection"
    person = page.locator(
        f'.incident-card[data-incident-id="{_incident(stack, "Person", "driveway")["incident_id"]}"]'
    )
    assert person.locator('[data-badge="state"]').inner_text() == "active"
    assert person.locator(".incident-frames").inner_text() == "53 frames"
    assert (
        page.locator(".incident-card", has_text="family").locator(".incident-title").inner_text()
        == "Ada Lovelace"
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('#incident-list img')].every(i => i.complete && i.naturalWidth)"
    )
    shot(page, "incidents")

    # Filters ask the API (not the page) and narrow the list.
    def choose(select: str, value: str, expected: list[str]) -> None:
        with page.expect_response(
            lambda r: "/api/incidents?" in r.url and (not value or f"{select}={value}" in r.url)
        ):
            page.select_option(f"#incident-{select}", value)
        _wait_for_cards(page, expected)

    on_driveway = [i for i in all_ids if i.startswith("driveway-")]
    assert len(on_driveway) == 2
    active_person = _incident(stack, "Person", "driveway")["incident_id"]
    choose("camera", "driveway", on_driveway)
    choose("state", "active", [active_person])
    choose("camera", "", [active_person])
    choose("state", "", all_ids[:PAGE])
    detections = [i["incident_id"] for i in stack.incidents if i["severity"] == "detection"]
    assert len(detections) == 23
    choose("severity", "detection", detections)
    choose("severity", "", all_ids[:PAGE])
    choose("label", "Person", [i["incident_id"] for i in stack.incidents if i["label"] == "Person"])
    assert page.locator("#incident-label option").all_inner_texts() == [
        "All labels",
        "Bicycle",
        "Car",
        "Dog",
        "Person",
    ]
    shot(page, "incidents-filtered")


def test_incident_view_steps_and_plays_frames(page: Any, incident_stack: Stack) -> None:
    stack = incident_stack
    crossing = _incident(stack, "Bicycle", "driveway")
    own = _own_frames(stack, crossing)
    assert len(own) == 8
    page.goto(stack.api.url + "/#incidents")
    page.locator(f'.incident-card[data-incident-id="{crossing["incident_id"]}"] a').click()
    page.wait_for_url(re.compile(r"#incident/" + re.escape(crossing["incident_id"]) + "$"))
    view = page.locator("#incident-view")
    media = page.locator("#incident-frame .frame-media")

    def expect_frame(n: int) -> None:
        """Frame n (0-based) is shown: position, image, its boxes and its time."""
        page.wait_for_function(
            "([pos, id]) => document.getElementById('incident-position').textContent === pos"
            " && document.querySelector('#incident-frame .frame-media')?.dataset.frameId === id",
            arg=[f"{n + 1} / 8", own[n]["frame_id"]],
        )
        assert own[n]["s3_key"] in media.locator("img").get_attribute("src")
        # The incident's label is the highlighted box, where it is in this frame; others are dimmed.
        drawn = _relative_box(page, media, ".box-focus")
        for side, expected in moving_box(n).items():
            assert drawn[side] == pytest.approx(expected, abs=0.01), side
        assert media.locator(".box-focus").inner_text().startswith("Bicycle")
        assert media.locator(".box-dim").inner_text().startswith("Person")
        assert page.locator("#incident-frame-time").get_attribute("datetime") == own[n]["captured_at"]

    # Waiting assertions: the view opens on the card click's navigation, which a loaded machine delays.
    expect(view).to_be_visible()
    expect(page.locator("#tab-incidents")).to_be_hidden()
    expect_frame(0)
    assert page.locator("#incident-title").inner_text() == "Bicycle on driveway"
    # Nothing but the badges (a missing "stationary" badge leaves no trace).
    assert page.locator("#incident-badges").text_content() == "endedalert sent"
    assert page.locator("#incident-step-prev").is_disabled()
    shot(page, "incident-view")

    page.locator("#incident-step-next").click()
    expect_frame(1)
    page.keyboard.press("ArrowRight")
    expect_frame(2)
    page.keyboard.press("ArrowLeft")
    expect_frame(1)
    page.locator("#incident-step-prev").click()
    expect_frame(0)

    # Space plays to the end and stops there.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press(" ")
    assert page.locator("#incident-play").get_attribute("aria-pressed") == "true"
    page.wait_for_function(
        "() => document.getElementById('incident-position').textContent === '8 / 8'", timeout=15_000
    )
    page.wait_for_function("() => document.getElementById('incident-play').textContent === 'Play'")
    expect_frame(7)
    assert page.locator("#incident-step-next").is_disabled()
    shot(page, "incident-view-end")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    shot(page, "incident-view-phone")


def test_incident_view_loads_more_frames_at_the_end_of_a_page(page: Any, incident_stack: Stack) -> None:
    person = _incident(incident_stack, "Person", "driveway")
    own = _own_frames(incident_stack, person)
    assert len(own) == 53  # more than one page of 50
    page.goto(incident_stack.api.url + "/#incident/" + person["incident_id"])
    position = page.locator("#incident-position")
    page.wait_for_function("() => document.getElementById('incident-position').textContent === '1 / 50+'")
    for _ in range(52):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.getElementById('incident-position').textContent === '53 / 53'")
    shown = page.locator("#incident-frame .frame-media")
    assert shown.get_attribute("data-frame-id") == own[-1]["frame_id"]
    assert position.inner_text() == "53 / 53"
    assert page.locator("#incident-summary").inner_text().count("53") >= 1


def test_unknown_incident_is_explained(page: Any, incident_stack: Stack) -> None:
    page.goto(incident_stack.api.url + "/#incident/driveway-20000101T000000-t9-bikes")
    page.get_by_text("There is no such incident").wait_for()
    assert page.locator("#incident-position").inner_text() == "0 / 0"
