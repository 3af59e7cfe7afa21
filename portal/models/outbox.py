"""The outbox: every email the portal sends is a row here, added in the transaction of the change
it tells about, and delivered after the commit by a sender (portal/notifications/outbox.py).

So an email exists if and only if its change committed, a slow or absent mail server never
holds up a request, and a failed delivery is retried. The row holds what the email is made of
(template, values, attachments), not the rendered message: rendering is the sender's work, so a
request that queues an email costs about what one that does not. Emails carry no PHI, but an
address, a name and a link are personal: recipient, subject and content are encrypted. The
content (which may hold a reset or sign-in link) is cleared once sent; the row is deleted
OUTBOX_RETENTION_DAYS after it was sent or given up.
"""
from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import utcnow
from portal.core.vocabulary import OutboxStatus
from portal.extensions import db
from portal.models.types import EncryptedJSON, EncryptedText, UTCDateTime


class OutboxEmail(db.Model):
    """One email: queued, claimed by a sender (`sending`, until `next_attempt_at`), sent, or
    failed for good. `attempts` counts claims, so a sender that died mid-send counts too."""

    __tablename__ = "outbox"
    # The senders' one query: the due rows of a status, oldest first.
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient = mapped_column(EncryptedText("outbox.recipient"), nullable=False)
    subject = mapped_column(EncryptedText("outbox.subject"), nullable=False)
    # {"template", "context": the template's values, "attachments": [[name, type, base64,
    # params]]} (portal/notifications/email.py); None once sent or given up.
    content = mapped_column(EncryptedJSON("outbox.content"))
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_error: Mapped[str | None] = mapped_column(String(80))  # an exception's class name only
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime)

    def __repr__(self):
        return f"<OutboxEmail {self.id} {self.status} attempts={self.attempts}>"
