"""Secure messages between sessions: threads between a client and their own therapist, the
messages in them, and each therapist's stated response hours.

Subjects and bodies are encrypted at rest; a message's `read_at` is when the other side first
opened it (the unread badges count the rest). A closed thread takes no more messages; the client
may then start a new one. No attachments: a message is text only.
"""
from datetime import time

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.types import EncryptedText, UTCDateTime


class MessageThread(db.Model):
    __tablename__ = "message_threads"
    __table_args__ = (Index("ix_message_threads_client", "client_id", "closed_at"),
                      Index("ix_message_threads_therapist", "therapist_id", "last_message_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject = mapped_column(EncryptedText("message_threads.subject"), nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_message_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    closed_at = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    client = relationship("User", foreign_keys=[client_id])
    therapist = relationship("User", foreign_keys=[therapist_id])
    messages = relationship("Message", back_populates="thread", cascade="all, delete-orphan",
                            order_by="Message.id")

    def __repr__(self):
        return f"<MessageThread {self.id} client={self.client_id} closed={self.closed}>"

    @property
    def closed(self):
        return self.closed_at is not None

    def takes_part(self, user):
        """Is `user` one of the two people of this thread?"""
        return user.id in (self.client_id, self.therapist_id)


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_thread", "thread_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body = mapped_column(EncryptedText("messages.body"), nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at = mapped_column(UTCDateTime)

    thread = relationship("MessageThread", back_populates="messages")
    author = relationship("User")

    def __repr__(self):
        return f"<Message {self.id} thread={self.thread_id}>"


class ResponseHours(db.Model):
    """When a therapist answers messages: weekdays (0 = Monday, as "0,1,2,3,4") and a daily
    window, in the therapist's own time zone. No row: the defaults in portal/messages/hours.py."""

    __tablename__ = "response_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                              unique=True)
    weekdays: Mapped[str] = mapped_column(String(20))
    starts: Mapped[time] = mapped_column()
    ends: Mapped[time] = mapped_column()

    @property
    def days(self):
        return [int(d) for d in self.weekdays.split(",") if d.strip().isdigit()]
