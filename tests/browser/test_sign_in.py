"""Signing in and out in a real browser."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_sign_in_and_reach_the_overview(new_page, editor, screenshot_dir):
    page = new_page(editor)
    assert page.get_by_role("heading", level=1).is_visible()
    assert "editor-user" in page.locator(".account").inner_text()
    page.screenshot(path=screenshot_dir / "overview.png", full_page=True)


def test_wrong_password_shows_an_error_and_stays_on_sign_in(new_page, editor):
    page = new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("editor-user")
    page.get_by_label("Password").fill("not-the-password")
    # The click starts a form submission; wait for the answer rather than read the page that sent it.
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("enter a correct username and password")
    assert "/accounts/login/" in page.url


def test_skip_link_is_the_first_stop_for_keyboard_users(new_page, reviewer):
    page = new_page(reviewer)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to main content"
