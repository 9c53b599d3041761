"""Which mail domain an address belongs to, and whose it is: the registrable domain by the
public-suffix list (publicsuffixlist: the list ships inside the package, nothing is fetched or
cached at run time; imported only when matching), the shipped list of webmail, ISP and hosting
providers (data/mail_providers.csv: an address at a provider says nothing about who owns the
domain, so it only ever matches as a whole address), and the user's own addresses and domains."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

OWN_DOMAINS_SETTING = "inbox.own_domains"


@lru_cache(maxsize=1)
def _suffixes() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()  # the list bundled with the package: no download, no cache file


def domain_of(address: str) -> str:
    """The domain of an address (lower case, no trailing dot); "" if it has none."""
    value = address.strip().lower()
    return value.rpartition("@")[2].strip("<>. ") if "@" in value else ""


@lru_cache(maxsize=4096)
def registrable(domain: str) -> str:
    """The domain a registrant holds: mail.bern.diplo.de → diplo.de, fcdo.gov.uk → fcdo.gov.uk
    (gov.uk is a public suffix: a portal, never one owner). A public suffix itself: ""."""
    domain = domain.strip().lower().rstrip(".")
    if not domain:
        return ""
    return _suffixes().privatesuffix(domain) or ""


@lru_cache(maxsize=1)
def providers() -> dict[str, str]:
    """Provider domain → kind (webmail, isp, hosting), from data/mail_providers.csv."""
    from plea.resources import data_dir

    with (data_dir() / "mail_providers.csv").open(encoding="utf-8", newline="") as fh:
        return {row["domain"].strip().lower(): row["kind"] for row in csv.DictReader(fh)}


def is_provider(domain: str) -> bool:
    """True for a provider's domain or any of its subdomains (mail.yahoo.co.jp, sites.google.com)."""
    domain = domain.strip().lower().rstrip(".")
    known = providers()
    while domain:
        if domain in known:
            return True
        domain = domain.partition(".")[2]
    return False


def org_domain(address: str) -> str:
    """The registrable domain that stands for the sender's organisation, or "" when the
    address is at a provider (or has no domain): then only the whole address says anything."""
    domain = domain_of(address)
    if not domain or is_provider(domain):
        return ""
    return registrable(domain)


@dataclass
class Own:
    """The user's own side: plea's From addresses, and the addresses and domains of the user
    and their colleagues (smtp.from, the cases' reply-to and representative emails, the
    inbox.own_domains setting). Mail from here is never an embassy's answer."""

    senders: set[str] = field(default_factory=set)  # plea's own From addresses
    addresses: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)

    def is_own(self, address: str) -> bool:
        address = address.strip().lower()
        return address in self.addresses or address in self.senders or org_domain(address) in self.domains


def own_side(session: Any) -> Own:
    """The user's own addresses and domains, read once per transaction."""
    cached = session.info.get("plea_own_side")
    if cached is not None:
        return cached
    from email.utils import getaddresses

    from sqlmodel import select

    from plea.config import setting_value
    from plea.db.models import Case, Outbox
    from plea.settings import get_setting

    own = Own()
    smtp_from = setting_value({"smtp.from": get_setting(session, "smtp.from") or ""}, "smtp.from")
    values = [smtp_from, *session.exec(select(Outbox.sender).distinct())]
    own.senders = {a.lower() for _n, a in getaddresses([v for v in values if v]) if "@" in a}
    for rep, reply in session.exec(select(Case.rep_email, Case.reply_to).distinct()):
        values += [rep or "", reply or ""]
    for _n, addr in getaddresses([v for v in values if v]):
        if "@" in addr:
            own.addresses.add(addr.lower())
            if org_domain(addr):
                own.domains.add(org_domain(addr))
    for name in (get_setting(session, OWN_DOMAINS_SETTING) or "").replace(",", " ").split():
        own.domains.add(registrable(name.lower().lstrip("@")) or name.lower().lstrip("@"))
    session.info["plea_own_side"] = own
    return own
