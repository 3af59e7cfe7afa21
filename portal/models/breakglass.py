"""Break-glass: an admin's time-limited, reasoned, audited access to one client's record."""
from datetime import timedelta

from sqlalchemy import ForeignKey, Index, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.types import EncryptedText, UTCDateTime

MAX_HOURS = 4


class BreakGlassGrant(db.Model):
    """Read access for `admin` to `client`'s record until `expires_at` (at most 4 hours)."""

    __tablename__ = "break_glass_grants"
    __table_args__ = (Index("ix_break_glass_admin_client", "admin_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason = mapped_column(EncryptedText("break_glass_grants.reason"), nullable=False)
    granted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    revoked_at = mapped_column(UTCDateTime)

    admin = relationship("User", foreign_keys=[admin_id])
    client = relationship("User", foreign_keys=[client_id])

    def __repr__(self):
        return f"<BreakGlassGrant {self.id} admin={self.admin_id} client={self.client_id}>"

    @classmethod
    def start(cls, admin, client, reason, hours, now=None):
        """A new grant of 1 to MAX_HOURS hours (added to the session, not committed)."""
        if not 1 <= int(hours) <= MAX_HOURS:
            raise ValueError("break-glass access lasts 1 to 4 hours")
        now = now or utcnow()
        grant = cls(admin_id=admin.id, client_id=client.id, reason=reason, granted_at=now,
                    expires_at=now + timedelta(hours=int(hours)))
        db.session.add(grant)
        db.session.flush()
        return grant

    def is_active(self, now=None):
        now = now or utcnow()
        return self.revoked_at is None and self.granted_at <= now < self.expires_at

    @classmethod
    def active_for(cls, admin_id, client_id=None, now=None):
        """Grants of this admin (for this client, if given) that are in force now."""
        now = now or utcnow()
        query = select(cls).where(cls.admin_id == admin_id, cls.revoked_at.is_(None),
                                  cls.expires_at > now)
        if client_id is not None:
            query = query.where(cls.client_id == client_id)
        return db.session.scalars(query.order_by(cls.expires_at)).all()
