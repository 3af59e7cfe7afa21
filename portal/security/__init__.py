"""Security building blocks: passwords, MFA, server-side sessions, declared access control,
security headers, safe redirects, the audit trail and PHI key rotation (the field encryption
itself is portal/core/crypto.py)."""
