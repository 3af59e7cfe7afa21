"""Issue 14, part 2: every text column of the models is encrypted, an opaque code, or a named
non-clinical one.

The columns come from the models (db.metadata), so a new plaintext column fails here until
someone encrypts it, makes it an opaque code, or writes down, on the allow-list, why it is not
clinical.
"""
from portal.models.types import ENCRYPTED_COLUMNS, OPAQUE_COLUMNS, EncryptedText, OpaqueCode
from tests.phi_columns import (
    ALLOW_LIST,
    ENCRYPTED_BY_HAND,
    KNOWN_CLINICAL_PLAINTEXT,
    encrypted_columns,
    opaque_columns,
    text_columns,
)


def _plaintext_columns():
    return {(table, column) for table, column, column_type in text_columns()
            if not isinstance(column_type, EncryptedText | OpaqueCode)}


def test_no_clinical_column_is_left_in_plaintext():
    # issue 14's open findings are closed; the list stays empty (tests/phi_columns.py)
    assert KNOWN_CLINICAL_PLAINTEXT == {}


def test_every_plaintext_text_column_is_allowed_or_a_known_open_finding():
    unexplained = _plaintext_columns() - set(ALLOW_LIST) - set(KNOWN_CLINICAL_PLAINTEXT)
    assert not unexplained, (
        "plaintext text columns with no decision: encrypt them (EncryptedText/EncryptedJSON) "
        f"or add them to ALLOW_LIST in tests/phi_columns.py with a reason: {sorted(unexplained)}")


def test_the_lists_name_only_real_plaintext_columns():
    # a fixed open finding (now encrypted, or dropped) must leave KNOWN_CLINICAL_PLAINTEXT, and
    # the allow-list must not keep rows for columns that no longer exist or are now encrypted
    plaintext = _plaintext_columns()
    assert not set(KNOWN_CLINICAL_PLAINTEXT) - plaintext, "fixed: remove from the open findings"
    assert not set(ALLOW_LIST) - plaintext, "stale allow-list rows"
    assert not set(ALLOW_LIST) & set(KNOWN_CLINICAL_PLAINTEXT)


def test_every_list_entry_has_a_reason():
    for entry, reason in (ALLOW_LIST | KNOWN_CLINICAL_PLAINTEXT).items():
        assert len(reason.strip()) > 10, entry
    assert all(reason.startswith("open finding, issue 14 part 2")
               for reason in KNOWN_CLINICAL_PLAINTEXT.values())


def test_columns_sealed_by_hand_are_allowed_only_as_ciphertext():
    for table, column in ENCRYPTED_BY_HAND.values():
        assert "ciphertext" in ALLOW_LIST[(table, column)]


def test_key_rotation_covers_every_encrypted_column_of_the_models():
    # `flask rotate-keys` walks ENCRYPTED_COLUMNS; it must know every column the models encrypt
    assert encrypted_columns() == ENCRYPTED_COLUMNS


def test_the_opaque_registry_names_every_opaque_column_of_the_models():
    assert opaque_columns() == OPAQUE_COLUMNS
    assert all(context == f"{table}.{column}" for context, (table, column)
               in OPAQUE_COLUMNS.items())
