"""Where a database passphrase comes from: PLEA_PASSPHRASE, the system keyring, or a
prompt. Never from the command line (other users can read process arguments)."""

from __future__ import annotations

import os
import sys

from plea.errors import InvalidInput

KEYRING_SERVICE = "plea"
MIN_LENGTH = 8


def _from_keyring(account: str) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, account)
    except (KeyringError, RuntimeError, OSError):
        return None


def save_to_keyring(account: str, passphrase: str) -> bool:
    try:
        import keyring
        from keyring.errors import KeyringError

        keyring.set_password(KEYRING_SERVICE, account, passphrase)
        return True
    except (ImportError, KeyringError, RuntimeError, OSError):
        return False


def get_passphrase(account: str, *, new: bool = False, env: str = "PLEA_PASSPHRASE", prompt: str = "Passphrase") -> str | None:
    """The passphrase for `account` (the database path), or None when none can be had."""
    value = os.environ.get(env)
    if value:
        return value
    if not new:
        stored = _from_keyring(account)
        if stored:
            return stored
    if not sys.stdin.isatty():
        return None
    import getpass

    first = getpass.getpass(f"{prompt}: ")
    if new:
        if len(first) < MIN_LENGTH:
            raise InvalidInput(f"the passphrase is too short (at least {MIN_LENGTH} characters)")
        if getpass.getpass("Again: ") != first:
            raise InvalidInput("the two passphrases differ; nothing was changed")
    return first


def check_new(passphrase: str) -> str:
    if len(passphrase) < MIN_LENGTH:
        raise InvalidInput(f"the passphrase is too short (at least {MIN_LENGTH} characters)")
    return passphrase
