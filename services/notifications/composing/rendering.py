"""Mail from Jinja2 templates: ``templates/<lang>/<name>.txt`` holds a subject and a body
block; the language's ``layout.txt`` and the one ``layout.html`` (its few words per
language below) wrap the body into the plain-text and the HTML part, the HTML one
autoescaped so that nothing a requester wrote becomes markup.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from services.notifications.model import Language
from services.notifications.model import TemplateNotFound as UnknownTemplate

TEMPLATES = Path(__file__).with_name("templates")
LAYOUTS = ("layout",)
LABELS: dict[Language, dict[str, str]] = {
    "en": {
        "preferences": "Your mail preferences",
        "unsubscribe": "Unsubscribe from this kind of mail",
    },
    "ja": {"preferences": "配信設定", "unsubscribe": "この種類のメールを停止"},
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self, folder: Path = TEMPLATES) -> None:
        loader = FileSystemLoader(folder)
        self.text = Environment(loader=loader, autoescape=False, undefined=StrictUndefined)
        self.html = Environment(loader=loader, autoescape=True, undefined=StrictUndefined)
        self.folder = folder

    def names(self) -> list[str]:
        return sorted(
            path.stem for path in (self.folder / "en").glob("*.txt") if path.stem not in LAYOUTS
        )

    def render(self, name: str, language: Language, context: dict[str, Any]) -> Rendered:
        if name not in self.names():
            raise UnknownTemplate(f"no template {name}")
        try:
            template = self.text.get_template(f"{language}/{name}.txt")
        except TemplateNotFound as missing:
            raise UnknownTemplate(f"no {language} template {name}") from missing
        blocks = template.new_context(context)
        subject = " ".join("".join(template.blocks["subject"](blocks)).split())
        body = "".join(template.blocks["body"](template.new_context(context))).strip()
        page = {**context, "subject": subject, "body": body}
        text = self.text.get_template(f"{language}/layout.txt").render(page)
        paragraphs = [part for part in re.split(r"\n\s*\n", body) if part.strip()]
        html = self.html.get_template("layout.html").render(
            {**page, "paragraphs": paragraphs, "language": language, "labels": LABELS[language]}
        )
        return Rendered(subject=subject, text=text, html=html)


SAMPLE_LINKS = {
    "preferences_url": "https://desk.example/preferences?token=…",
    "unsubscribe_url": "https://desk.example/unsubscribe?token=…",
    "recipient_name": "Sato Hanako",
}
MEETING = {
    "ref": "#5f1c2a",
    "company_name": "Kaiyo Water Engineering",
    "title": "Flood early warning for Da Nang",
    "start_local": "2026-12-03 09:00",
    "end_local": "09:30",
    "time_zone": "Asia/Ho_Chi_Minh",
    "other_times": ["2026-12-03 11:00 (Asia/Tokyo)", "2026-12-03 02:00 (UTC)"],
    "location": "Table 4",
    "url": None,
    "change": None,
    "reason": "the proposal was withdrawn",
}
INQUIRY = {
    "ref": "#a41b9c",
    "subject": "Japanese partners for flood early warning",
    "queue": "matching",
    "country": "VN",
    "category": "partner_search",
    "priority": "high",
    "clock": "first_response",
    "deadline": "2026-12-01 17:00 UTC",
    "body": "Three companies fit; we attach their profiles.\n\nBest regards,\nthe desk",
    "files": [
        {
            "name": "profiles.pdf",
            "size": "2.3 MB",
            "url": "https://desk.example/inquiries/…/attachments/…/signed?expires=…",
        }
    ],
    "files_until": "2026-12-31 09:00 UTC",
}
MATCH = {
    "ref": "#77e0d1",
    "company_name": "Kaiyo Water Engineering",
    "title": "Flood early warning for Da Nang",
    "score": "0.82",
    "other_name": "Nguyen Van An",
    "other_email": "an@danang.example",
    "expires_at": "2026-12-10 09:00 UTC",
    "author": "city",
    "message": "We would be glad to meet in Tokyo.",
    "body": "Could we meet on site in Da Nang before the session?\n\nNguyen Van An",
}
PROPOSAL = {
    "ref": "#c0ffee",
    "title": "Flood early warning for Da Nang",
    "decision": "accepted",
    "decision_ja": "採択",
    "reason": None,
}
ACCOUNT = {
    "ref": "#3e9a10",
    "old_email": "sato@example.go.jp",
    "new_email": "sato@hanoi.example.go.jp",
    "changed_by": "Desk admin",
    "changed_at": "2026-12-01 08:00 UTC",
}
SAMPLES: dict[str, dict[str, Any]] = {
    "account_changed": ACCOUNT,
    **{name: INQUIRY for name in ("inquiry_replied", "inquiry_submitted", "inquiry_assigned")},
    **{name: INQUIRY for name in ("inquiry_sla_warning", "inquiry_sla_breached")},
    "proposal_decision": PROPOSAL,
    **{
        name: MATCH
        for name in ("match_proposed", "match_accepted", "match_expiring", "match_message")
    },
    **{name: MEETING for name in ("meeting_invitation", "meeting_cancelled", "meeting_reminder")},
}


def sample_context(name: str) -> dict[str, Any]:
    """What the preview endpoint renders a template with: made-up but realistic values."""
    return {**SAMPLES.get(name, {}), **SAMPLE_LINKS}
