"""Security headers on every response (ASVS V3.4, V14) and the per-request CSP nonce."""
import secrets

from flask import current_app, g, request


def csp_nonce():
    """The nonce for this response's CSP; templates put it on their <script> and <style> tags."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(nonce):
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def set_security_headers(response):
    """after_request: CSP, HSTS (production), nosniff, referrer, permissions, no-store."""
    h = response.headers
    h["Content-Security-Policy"] = content_security_policy(csp_nonce())
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["X-Frame-Options"] = "DENY"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Permissions-Policy"] = ("camera=(self), microphone=(self), display-capture=(self), "
                               "geolocation=(), payment=(), usb=(), interest-cohort=()")
    if current_app.config.get("HSTS"):
        h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Static assets are public and may be cached; everything else may show personal data.
    if request.endpoint != "static":
        h["Cache-Control"] = "no-store"
        h["Pragma"] = "no-cache"
    return response
