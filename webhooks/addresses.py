"""Where a webhook may point: public addresses only, checked when it is saved and again at each send.

Every address the host name resolves to must be public (``ipaddress``'s ``is_global``, not multicast): a hook
cannot be aimed at the tracker's own network (loopback, RFC 1918, link-local cloud metadata, ...). The check runs
again just before each POST and the connection goes to the address that was checked, so a host name that later
resolves elsewhere (DNS rebinding) cannot slip through. ``WEBHOOK_ALLOW_PRIVATE_TARGETS=1`` (tests, a closed
network) lifts the rule.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class TargetRefused(Exception):
    """The target URL is malformed or points at an address the tracker will not call."""


def _split(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("The target URL must start with http:// or https://.")
    if not parts.hostname:
        raise TargetRefused("The target URL has no host name.")
    if parts.username or parts.password:
        raise TargetRefused("The target URL may not carry a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused("The target URL has an invalid port.") from exc
    return parts.scheme, parts.hostname, port


def is_public(address: str) -> bool:
    """Whether ``address`` is a public unicast address (IPv4-mapped IPv6 judged as the IPv4 it maps)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_target(url: str) -> tuple[str, str, int, list[str]]:
    """(scheme, host, port, addresses to connect to) for ``url``; raises :class:`TargetRefused`.

    Resolves the host now; unless private targets are allowed, every address must be public.
    """
    scheme, host, port = _split(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"The host name {host} does not resolve.") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        private = [address for address in addresses if not is_public(address)]
        if private:
            raise TargetRefused(
                f"{host} resolves to a private, loopback or reserved address ({', '.join(private)}): refused."
            )
    return scheme, host, port, addresses


def check_target_url(url: str) -> None:
    """Validate a target URL when a hook is saved. With private targets allowed only its form is checked (no
    DNS look-up: the tests and closed networks need none)."""
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        _split(url)
        return
    resolve_target(url)
