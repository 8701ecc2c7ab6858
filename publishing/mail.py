"""Email out of salesops: one SMTP sender for report deliveries and failure alerts.

Plain ``smtplib``: STARTTLS and login happen only when the settings ask for
them (Dagster's built-in email sensor insists on both, which a relay on the
local network often does not offer).
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from salesops.settings import SmtpSettings

# Refusals of one message (its recipient, sender or content): the connection stays usable for the next one.
MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass(frozen=True)
class Attachment:
    path: Path
    filename: str | None = None
    mime_type: str = "application/pdf"


def compose(
    smtp: SmtpSettings,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    """A message with a plain-text body, an optional HTML alternative, and attachments."""
    message = EmailMessage()
    message["From"] = smtp.from_address
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=smtp.from_address.rpartition("@")[2] or "salesops")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.path.read_bytes(),
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename or attachment.path.name,
        )
    return message


@contextmanager
def connection(smtp: SmtpSettings) -> Iterator[smtplib.SMTP]:
    """One SMTP session (STARTTLS and login as configured) for any number of messages."""
    with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as session:
        if smtp.starttls:
            session.starttls()
        if smtp.username:
            session.login(smtp.username, smtp.password or "")
        yield session


def send(smtp: SmtpSettings, messages: Iterable[EmailMessage]) -> int:
    """Send messages over one SMTP connection; return how many went out."""
    sent = 0
    with connection(smtp) as session:
        for message in messages:
            session.send_message(message)
            sent += 1
    return sent
