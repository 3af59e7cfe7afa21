"""ICE servers for a participant: STUN/TURN from config, TURN credentials in the coturn REST
scheme (use-auth-secret): username = "<expiry unix time>:<user id>", password =
base64(HMAC-SHA1(secret, username)). Issued only to participants, expiring at the appointment's
scheduled end (plus the 30 minutes the room stays open)."""
import base64
import hashlib
import hmac

from flask import current_app

from portal.core.vocabulary import ROOM_CLOSES_AFTER


def credentials(secret, user_id, expires_at):
    username = f"{int(expires_at.timestamp())}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(user, appointment):
    """The RTCPeerConnection iceServers list for this participant (empty: LAN / localhost)."""
    cfg = current_app.config
    servers = []
    stun = [u for u in cfg.get("STUN_URLS", []) if u]
    if stun:
        servers.append({"urls": stun})
    turn = [u for u in cfg.get("TURN_URLS", []) if u]
    if turn and cfg.get("TURN_SECRET"):
        username, password = credentials(cfg["TURN_SECRET"], user.id,
                                         appointment.ends_at + ROOM_CLOSES_AFTER)
        servers.append({"urls": turn, "username": username, "credential": password})
    return servers
