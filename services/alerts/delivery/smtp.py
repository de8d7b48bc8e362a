"""Sending one digest over SMTP (aiosmtplib: the real protocol, on the event loop, never blocking
it), with STARTTLS or implicit TLS as the route says and certificates always verified.

Failures become `AttemptFailed`: connection trouble, time-outs and 4xx replies may pass on a later
attempt; 5xx replies (a refused sender, every recipient refused, bad credentials) and a server
without STARTTLS will not.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from functools import lru_cache

import aiosmtplib

from services.alerts.delivery.retry import AttemptFailed
from services.alerts.delivery.routes import SmtpServer
from services.alerts.delivery.tls import verifying_context


@dataclass(frozen=True, slots=True)
class SmtpAccepted:
    refused: int  # recipients the server refused while accepting the others
    codes: tuple[int, ...]


@lru_cache(maxsize=64)
def tls_context(server: SmtpServer) -> ssl.SSLContext | None:
    return verifying_context(server.ca_file) if server.uses_tls else None


def _transient(code: int) -> bool:
    return 400 <= code < 500


async def send_message(message: EmailMessage, server: SmtpServer, password: str | None) -> SmtpAccepted:
    """Send `message` to the recipients in its headers; raises `AttemptFailed`."""
    try:
        refused, _reply = await aiosmtplib.send(
            message,
            hostname=server.host,
            port=server.port,
            use_tls=server.implicit_tls,
            start_tls=server.starttls,
            tls_context=tls_context(server),
            username=server.username,
            password=password,
            timeout=server.timeout_s,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        codes = tuple(refusal.code for refusal in error.recipients)
        raise AttemptFailed(
            f"SMTP: every recipient refused ({', '.join(map(str, codes))})",
            retryable=all(_transient(code) for code in codes),
            code=codes[0] if codes else None,
        ) from None
    except aiosmtplib.SMTPResponseException as error:
        raise AttemptFailed(
            f"SMTP {error.code} {type(error).__name__}: {error.message}",
            retryable=_transient(error.code),
            code=error.code,
        ) from None
    except aiosmtplib.SMTPNotSupported as error:
        raise AttemptFailed(f"SMTP: {error.message}", retryable=False) from None
    except aiosmtplib.SMTPException as error:
        raise AttemptFailed(f"SMTP {type(error).__name__}: {error.message}", retryable=True) from None
    except ssl.SSLError as error:
        raise AttemptFailed(f"TLS {type(error).__name__}: {error.reason or error}", retryable=True) from None
    except OSError as error:
        raise AttemptFailed(f"{type(error).__name__}: {error.strerror or error}", retryable=True) from None
    return SmtpAccepted(len(refused), tuple(reply.code for reply in refused.values()))
