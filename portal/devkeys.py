"""`python -m portal.devkeys`: create the development SECRET_KEY, PHI_KEYS and AUDIT_KEYS in instance/, once.

`make run` runs it before anything else. It needs no app, since the app refuses to start without
keys. The folder is created with mode 0700 and each key file with 0600, exclusively, so no other
user can read a key even for a moment. Existing files are kept: a new PHI_KEYS would make the
encrypted data unreadable. Production never uses these files (its keys come from the environment).
"""
import os
import secrets
import sys

from portal.config import DEV_KEY_FILES, INSTANCE_DIR, new_audit_key, new_phi_key

MAKERS = {"SECRET_KEY": lambda: secrets.token_urlsafe(48), "PHI_KEYS": new_phi_key,
          "AUDIT_KEYS": new_audit_key}


def create_dev_keys(folder=INSTANCE_DIR):
    """Write the key files that are missing in `folder`; return the paths written."""
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        folder.chmod(0o700)  # mkdir's mode is narrowed by the umask; make it exact
    written = []
    for name, filename in DEV_KEY_FILES.items():
        path = folder / filename
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(MAKERS[name]())
        written.append(path)
    return written


def main():
    if os.environ.get("PORTAL_ENV") == "production":
        sys.exit("portal.devkeys: production takes SECRET_KEY, PHI_KEYS and AUDIT_KEYS from the environment "
                 "(docs/deploy.md); nothing was written.")
    for path in create_dev_keys():
        print(f"created development key {path}")


if __name__ == "__main__":
    main()
