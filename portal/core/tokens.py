"""Secret tokens in links and cookies are stored only as their SHA-256 (a copy of the database
cannot be turned back into working links)."""
import hashlib
import secrets


def new_token():
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token):
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()
