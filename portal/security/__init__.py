"""Security building blocks: passwords, MFA, sessions, field encryption, access, headers."""
