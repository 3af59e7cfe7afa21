"""Shared steps of the messages tests: write through the real forms, read the nav badge."""
import re

from tests.conftest import csrf_from


def start_thread(browser, subject="Question", body="Hello"):
    token = csrf_from(browser.get("/messages").get_data(as_text=True))
    return browser.post("/messages", data={"csrf_token": token, "subject": subject,
                                           "body": body})


def reply(browser, thread_id, body="Thanks"):
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    return browser.post(f"/messages/{thread_id}", data={"csrf_token": token, "body": body})


def close(browser, thread_id):
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    return browser.post(f"/messages/{thread_id}/close", data={"csrf_token": token})


def thread_id_of(response):
    return int(re.search(r"/messages/(\d+)", response.headers["Location"]).group(1))


def badge(browser, page="/account"):
    """The unread count the nav shows (0 without a badge)."""
    found = re.search(r'data-unread="(\d+)"', browser.get(page).get_data(as_text=True))
    return int(found.group(1)) if found else 0
