"""Operations: backup and restore commands (see docs/deploy.md)."""
