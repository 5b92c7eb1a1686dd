"""The two small pages of unsubscribing from a link in a mail: the question, then the
answer. Pure: every value shown is escaped."""

from html import escape

from services.notifications.model import PreferencesView

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def confirmation_page(view: PreferencesView, category: str) -> str:
    """Asks; its form posts back to the same address (token and category included)."""
    if category in view.always_on:
        return _always_on(category)
    body = (
        f"<p>Stop {_kind(category)} to {escape(view.address)}?</p>"
        '<form method="post" action="">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page("Unsubscribe from JAMP Desk mail", body)


def unsubscribed_page(view: PreferencesView, category: str) -> str:
    if category in view.always_on:
        return _always_on(category)
    return _page("Unsubscribed", f"<p>No more {_kind(category)} to {escape(view.address)}.</p>")


def _always_on(category: str) -> str:
    """Account and security mail cannot be turned off: both pages say so instead."""
    return _page("JAMP Desk mail", f"<p>{_kind(category)} always go out.</p>")


def _kind(category: str) -> str:
    return f"{escape(category)} mails"


def _page(title: str, body: str) -> str:
    return _PAGE.format(title=escape(title), body=body)
