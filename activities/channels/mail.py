"""Email over SMTP (``smtplib``, STARTTLS when configured), one message per recipient.

SMTP says which failures are worth retrying: a 4xx reply or a lost connection is; a 5xx reply (no
such mailbox, refused login) is not.
"""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from activities.channels import ChannelError
from activities.channels.message import Message
from shenpi.directory_file import UserEntry
from shenpi.settings import Settings

TIMEOUT_SECONDS = 15.0


def build_email(message: Message, sender: str, to: str, card_id: str = "") -> EmailMessage:
    """``card_id`` (one delivery's id, the same on every attempt) makes the Message-ID, so a
    mail resent after a crash is recognisably the same message."""
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = format_datetime(datetime.now(UTC))
    domain = sender.rpartition("@")[2] or None
    stable = f"<{card_id}@{domain or 'shenpi.invalid'}>" if card_id else None
    mail["Message-ID"] = stable or make_msgid(domain=domain)
    # Headers a mail rule can sort by; ids only, like the text.
    mail["X-Shenpi-Event"] = message.event
    mail["X-Shenpi-Instance"] = message.instance_id
    if message.task is not None:
        mail["X-Shenpi-Task-Ref"] = message.task.ref
    mail.set_content(message.text)
    return mail


class EmailChannel:
    name = "email"

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None  # built only when SMTP is configured
        self._host = settings.smtp_host
        self._port = settings.smtp_port
        self._user = settings.smtp_user
        self._password = settings.smtp_password
        self._sender = settings.smtp_from
        self._starttls = settings.smtp_starttls

    def address(self, user: str, contact: UserEntry | None) -> str | None:
        return contact.email if contact else None

    def send(self, address: str, message: Message, *, card_id: str = "") -> dict[str, Any]:
        mail = build_email(message, self._sender, address, card_id)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=TIMEOUT_SECONDS) as smtp:
                if self._starttls:
                    smtp.starttls()
                if self._user:
                    smtp.login(self._user, self._password or "")
                smtp.send_message(mail)
        except smtplib.SMTPNotSupportedError as err:  # e.g. STARTTLS asked of a plain server
            raise ChannelError(f"SMTP: {err}", retryable=False) from None
        except smtplib.SMTPRecipientsRefused as err:
            code = next(iter(err.recipients.values()))[0]
            raise ChannelError(f"SMTP refused {address}: {code}", retryable=code < 500) from None
        except smtplib.SMTPResponseException as err:
            raise ChannelError(
                f"SMTP {err.smtp_code}: {err.smtp_error!r}", retryable=err.smtp_code < 500
            ) from None
        except (smtplib.SMTPException, OSError) as err:  # lost connection, refused, timeout
            raise ChannelError(f"SMTP: {type(err).__name__}: {err}", retryable=True) from None
        return {"message_id": mail["Message-ID"]}
