"""Pure pieces of the notifications service: tokens, reply stripping, templates, relay URLs,
backoff and the message a ledger row becomes."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from icalendar import Calendar

from services.notifications.composing.invitations import to_ics
from services.notifications.composing.messages import compose
from services.notifications.composing.rendering import Renderer, sample_context
from services.notifications.model import Backoff, InvalidToken, Invite, Mail, Preferences, Recipient
from services.notifications.replies.inbound import Refused, automatic, only_sender
from services.notifications.replies.text import (
    MOST_NAMES,
    UnreadableText,
    attachment_names,
    strip_reply,
    text_of,
)
from services.notifications.sending.smtp import Relay
from services.notifications.tokens import (
    preferences_token,
    read_preferences_token,
    read_reply_token,
    reply_token,
)

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
INQUIRY = "65f1c2a9e4b0a1b2c3d4e5f6"


class TestReplyTokens:
    def test_a_token_names_its_inquiry_and_fits_an_address(self) -> None:
        token = reply_token("s3cret", INQUIRY, NOW + timedelta(days=60))
        assert read_reply_token("s3cret", token, NOW) == INQUIRY
        assert len(f"reply+{token}") <= 64
        assert token == token.lower()  # survives relays that fold local parts

    def test_relays_that_upper_case_the_address_do_not_break_it(self) -> None:
        token = reply_token("s3cret", INQUIRY, NOW + timedelta(days=1))
        assert read_reply_token("s3cret", token.upper(), NOW) == INQUIRY

    @pytest.mark.parametrize(
        ("secret", "shift", "reason"),
        [("other", timedelta(), "forged token"), ("s3cret", timedelta(days=2), "expired token")],
    )
    def test_a_wrong_signature_or_an_old_token_is_refused(
        self, secret: str, shift: timedelta, reason: str
    ) -> None:
        token = reply_token("s3cret", INQUIRY, NOW + timedelta(days=1))
        with pytest.raises(InvalidToken, match=reason):
            read_reply_token(secret, token, NOW + shift)

    def test_garbage_is_malformed(self) -> None:
        with pytest.raises(InvalidToken, match="malformed"):
            read_reply_token("s3cret", "not-base32!", NOW)

    def test_another_spelling_of_the_same_bytes_is_malformed(self) -> None:
        token = reply_token("s3cret", INQUIRY, NOW + timedelta(days=1))
        # 34 bytes in base32: the last character carries spare bits; a twin decodes alike.
        alphabet = "abcdefghijklmnopqrstuvwxyz234567"
        twin = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]
        for spelling in (twin, token + "======"):
            with pytest.raises(InvalidToken, match="malformed"):
                read_reply_token("s3cret", spelling, NOW)
        link = preferences_token("s3cret", "an@example.org")
        encoded, mac = link.split(".")
        b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        for spelling in (f"{encoded}.{mac[:-1]}{b64[b64.index(mac[-1]) ^ 1]}", f"{link}=="):
            with pytest.raises(InvalidToken, match="malformed"):
                read_preferences_token("s3cret", spelling)

    def test_preference_tokens_are_bound_to_the_address(self) -> None:
        token = preferences_token("s3cret", "An@Example.org")
        assert read_preferences_token("s3cret", token) == "an@example.org"
        forged = preferences_token("other", "an@example.org")
        with pytest.raises(InvalidToken):
            read_preferences_token("s3cret", forged)


class TestReplyStripping:
    def test_gmail_style_quote_header_and_signature_go(self) -> None:
        text = "Yes, Tuesday works.\n\nOn Mon, 2 Mar 2026, Desk <d@x.jp>\nwrote:\n> When?\n"
        assert strip_reply(text) == "Yes, Tuesday works."

    def test_japanese_quote_header_goes(self) -> None:
        text = "承知しました。\n\n2026年3月2日(月) 10:00 Desk <d@x.jp>:\n> いつですか?\n"
        assert strip_reply(text.replace(">:", "> のメッセージ:")) == "承知しました。"

    def test_outlook_original_message_and_sent_from_go(self) -> None:
        assert strip_reply("Fine.\n-----Original Message-----\nFrom: d@x.jp") == "Fine."
        assert strip_reply("Fine.\n\nSent from my iPhone") == "Fine."

    def test_a_plain_reply_is_kept_whole(self) -> None:
        assert strip_reply("Line one.\n\nLine two.") == "Line one.\n\nLine two."

    def test_gmails_japanese_quote_header_goes_and_a_dated_line_of_the_reply_stays(self) -> None:
        text = "承知しました。\n\n2026年3月2日(月) 10:00 Desk <d@x.jp>:\n\n> いつですか?\n"
        assert strip_reply(text) == "承知しました。"
        wrapped = "承知しました。\n2026年3月2日(月) 10:00 Desk <\nd@x.jp>:\n> いつですか?\n"
        assert strip_reply(wrapped) == "承知しました。"
        assert strip_reply("2026年12月1日の予定:\n- 会議") == "2026年12月1日の予定:\n- 会議"


def _mail(headers: str, body: bytes = b"Yes.") -> EmailMessage:
    raw = headers.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


class TestInboundChecks:
    @pytest.mark.parametrize(
        ("mail_from", "headers"),
        [
            ("", "From: r@x.org"),  # the null sender: a bounce or a responder
            ("<>", "From: r@x.org"),  # the null sender as aiosmtpd keeps it
            ("r@x.org", "From: r@x.org\nAuto-Submitted: auto-replied"),
            ("r@x.org", "From: r@x.org\nPrecedence: auto_reply"),
            ("r@x.org", "From: r@x.org\nPrecedence: bulk"),
            ("r@x.org", "From: r@x.org\nX-Autoreply: yes"),
        ],
    )
    def test_automatic_replies_are_recognised(self, mail_from: str, headers: str) -> None:
        assert automatic(mail_from, _mail(headers))

    def test_a_person_writing_is_not_automatic(self) -> None:
        assert not automatic("r@x.org", _mail("From: r@x.org\nAuto-Submitted: no"))
        assert not automatic("r@x.org", _mail("From: r@x.org"))

    @pytest.mark.parametrize(
        "header",
        ["r@x.org", '"Requester" <R@X.org>', "r@x.org <r@x.org>", "Requester <r@x.org>"],
    )
    def test_a_from_header_with_one_address_names_it(self, header: str) -> None:
        assert only_sender(header) == "r@x.org"

    @pytest.mark.parametrize(
        "header",
        ["r@x.org, attacker@evil.org", "r@x.org (x) <attacker@evil.org>", "", "Requester"],
    )
    def test_a_from_header_naming_another_address_or_none_is_refused(self, header: str) -> None:
        with pytest.raises(Refused):
            only_sender(header)

    def test_an_html_only_reply_reads_as_its_reader_sees_it(self) -> None:
        markup = (
            "<html><head><title>t</title><style>p {color: red}</style></head><body>"
            "<p>Budget &lt; 5 M &amp; Q3</p><script>alert(1)</script><!-- tracking -->"
            "<div>See you</div></body></html>"
        )
        html_only = _mail("From: r@x.org\nContent-Type: text/html; charset=utf-8", markup.encode())
        assert text_of(html_only).strip() == "Budget < 5 M & Q3\nSee you"

    def test_control_characters_go_and_an_unknown_charset_or_bad_base64_is_unreadable(
        self,
    ) -> None:
        assert text_of(_mail("From: r@x.org", b"Yes\x00 \x1b[31mred")) == "Yes [31mred"
        unknown = "From: r@x.org\nContent-Type: text/plain; charset=x-unknown"
        with pytest.raises(UnreadableText, match="x-unknown"):
            text_of(_mail(unknown))
        base64 = "From: r@x.org\nContent-Type: text/plain\nContent-Transfer-Encoding: base64"
        with pytest.raises(UnreadableText, match="base64"):
            text_of(_mail(base64, b"!!not*base64="))


class TestAttachedFiles:
    def test_files_are_named_and_an_image_inside_the_html_body_is_not_a_file(self) -> None:
        message = EmailMessage()
        message.set_content("See the plan.")
        message.add_alternative("<p>See the plan.<img src='cid:logo'></p>", subtype="html")
        html = message.get_body(("html",))
        assert html is not None
        html.add_related(b"\x89PNG", maintype="image", subtype="png", cid="<logo>")
        message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="plan.pdf")
        message.add_attachment(b"\x89PNG", maintype="image", subtype="png")  # no name given
        assert attachment_names(message) == ["plan.pdf", "attachment.png"]

    def test_at_most_so_many_names_are_kept(self) -> None:
        message = EmailMessage()
        message.set_content("Many.")
        for n in range(MOST_NAMES + 5):
            message.add_attachment(b"x", maintype="text", subtype="plain", filename=f"{n}.txt")
        assert len(attachment_names(message)) == MOST_NAMES

    def test_a_mail_without_attachments_names_none(self) -> None:
        message = EmailMessage()
        message.set_content("Just text.")
        assert attachment_names(message) == []


class TestTemplates:
    @pytest.mark.parametrize("language", ["en", "ja"])
    def test_every_template_renders_a_one_line_subject_text_and_html(self, language: str) -> None:
        renderer = Renderer()
        for name in renderer.names():
            rendered = renderer.render(name, language, sample_context(name))  # type: ignore[arg-type]
            assert rendered.subject.startswith("[JAMP Desk] ") and "\n" not in rendered.subject
            assert "preferences" in rendered.text or "配信設定" in rendered.text
            assert rendered.html.startswith("<!DOCTYPE html>")

    def test_what_a_requester_wrote_cannot_become_markup(self) -> None:
        context = {**sample_context("inquiry_replied"), "body": "<script>x()</script>"}
        html = Renderer().render("inquiry_replied", "en", context).html
        assert "<script>" not in html and "&lt;script&gt;" in html


class TestSending:
    def test_relay_urls(self) -> None:
        relay = Relay.from_url("smtps://user%40x:p%3Ass@mail.example:2465", 5)
        assert (relay.hostname, relay.port, relay.use_tls) == ("mail.example", 2465, True)
        assert (relay.username, relay.password) == ("user@x", "p:ss")
        assert Relay.from_url("smtp://h?starttls=required", 5).start_tls is True
        assert Relay.from_url("smtp://h", 5).port == 25
        with pytest.raises(ValueError, match="JAMP_SMTP_URL"):
            Relay.from_url("http://h", 5)

    def test_backoff_grows_to_its_ceiling_and_gives_up_late(self) -> None:
        backoff = Backoff(base_seconds=5, max_seconds=60, give_up_after=timedelta(hours=1))
        assert [backoff.delay(n).total_seconds() for n in (1, 2, 3, 5, 500)] == [5, 10, 20, 60, 60]
        assert not backoff.gives_up(NOW, NOW + timedelta(minutes=59))
        assert backoff.gives_up(NOW, NOW + timedelta(hours=1))

    def test_account_mail_cannot_be_turned_off(self) -> None:
        off = Preferences(inquiries=False, proposals=False, matches=False, meetings=False)
        assert not off.allows("matches") and off.allows("account")

    def test_a_meeting_mail_carries_the_invitation_as_calendar_and_attachment(self) -> None:
        person = Recipient(address="a@x.example", name="A")
        invite = Invite(
            method="REQUEST", uid="meeting-1@d", sequence=2, start=NOW,
            end=NOW + timedelta(hours=1), summary="A and B", location="Table 4",
            description="UTC: 09:00", attendees=[person],
        )  # fmt: skip
        ics = to_ics(invite, "desk@d", NOW)
        mail = Mail(
            mail_id="m1", event_id="e1", template="meeting_invitation", category="meetings",
            recipient="a@x.example", language="en", subject="S", text="T", html="<p>T</p>",
            ics=ics, ics_method="REQUEST", thread="meeting-1", status="pending", due_at=NOW,
            created_at=NOW,
        )  # fmt: skip
        message = compose(mail, "JAMP Desk <desk@d>", "d", "https://d/unsubscribe?token=t")
        parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
        types = [part.get_content_type() for part in parsed.walk()]
        assert types[:5] == ["multipart/mixed", "multipart/alternative", "text/plain",
                             "text/html", "text/calendar"]  # fmt: skip
        assert "application/ics" in types
        assert parsed["Message-ID"] == "<m1@d>"
        assert parsed["List-Unsubscribe"] == "<https://d/unsubscribe?token=t>"
        event = Calendar.from_ical(ics).walk("VEVENT")[0]
        assert int(event["SEQUENCE"]) == 2 and event.decoded("DTSTART") == NOW

    def test_a_long_one_click_link_is_written_as_it_is_not_as_encoded_words(self) -> None:
        url = "https://desk.example.org/unsubscribe?token=" + "dm4zMTc3MEBleGFt" * 6 + "&category=x"
        mail = Mail(
            mail_id="m1", event_id="e1", template="inquiry_replied", category="inquiries",
            recipient="a@x.example", language="ja", subject=" ".join(["回答"] * 40), text="T",
            html="<p>T</p>", thread="t", status="pending", due_at=NOW, created_at=NOW,
        )  # fmt: skip
        written = compose(mail, "JAMP Desk <desk@d>", "d", url).as_bytes()
        # Mail clients read this header raw (RFC 2369): no =?utf-8?q?…?= words in it.
        assert f"\nList-Unsubscribe: <{url}>\n".encode() in written
        parsed = message_from_bytes(written, policy=policy.default)
        assert (
            parsed["Subject"] == mail.subject.strip()
        )  # a long subject still folds and reads back
