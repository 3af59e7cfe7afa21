"""Versioned consent documents and the client's signatures of them."""
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.core.vocabulary import ConsentKind
from portal.extensions import db
from portal.models.types import EncryptedText, UTCDateTime


class ConsentDocument(db.Model):
    __tablename__ = "consent_documents"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    published_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                   ondelete="SET NULL"))

    def __repr__(self):
        return f"<ConsentDocument {self.kind} v{self.version}>"

    @staticmethod
    def current():
        """The newest version of each kind, in a fixed order."""
        newest = (select(ConsentDocument.kind, func.max(ConsentDocument.version).label("v"))
                  .group_by(ConsentDocument.kind).subquery())
        docs = db.session.scalars(select(ConsentDocument).join(
            newest, (ConsentDocument.kind == newest.c.kind)
            & (ConsentDocument.version == newest.c.v))).all()
        order = [k.value for k in ConsentKind]
        return sorted(docs, key=lambda d: order.index(d.kind) if d.kind in order else 99)


class ConsentSignature(db.Model):
    __tablename__ = "consent_signatures"
    __table_args__ = (UniqueConstraint("client_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                           index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("consent_documents.id",
                                                        ondelete="RESTRICT"))
    signed_name = mapped_column(EncryptedText("consent_signatures.signed_name"), nullable=False)
    signed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    ip: Mapped[str | None] = mapped_column(String(64))

    document = relationship("ConsentDocument")
    client = relationship("User")

    def visible_to(self, user):
        # Admins see other therapists' clients only through break-glass (portal/admin).
        return user.id == self.client_id or (
            user.is_clinician and self.client.therapist_id == user.id)


def unsigned_current(client_id):
    """Current documents the client has not signed (new versions ask for re-consent)."""
    signed = set(db.session.scalars(select(ConsentSignature.document_id)
                                    .where(ConsentSignature.client_id == client_id)))
    return [doc for doc in ConsentDocument.current() if doc.id not in signed]
