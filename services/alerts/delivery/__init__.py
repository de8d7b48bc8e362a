"""Delivery of alert notifications to LA officers: email digests per school and signed webhooks.

Use:
    router = Router.from_file(settings.alert_routes_file)        # no file: no routes
    dispatcher = Dispatcher(router, delivery_log)                  # checks the routes' secrets
    submission = await dispatcher.submit(Notification(...))        # one lifecycle step of an alert
    await submission.wait()                                        # optional: delivered or dead-lettered
    await dispatcher.close(timeout=30)                             # at shutdown: flush, then give up

Only routes marked `secure` ever see a UPN. Every attempt goes through the `DeliveryLog`; a
delivery that gives up becomes a `DeadLetter` there. See `routes` for the file format and
`signing` for the webhook signature.
"""

from services.alerts.delivery.dispatcher import Dispatcher, Submission
from services.alerts.delivery.email_digest import SchoolDigest, build_message, group_by_school
from services.alerts.delivery.notification import STATUSES, Notification, Status
from services.alerts.delivery.outcomes import (
    AttemptStatus,
    Channel,
    DeadLetter,
    DeliveryAttempt,
    DeliveryLog,
    InMemoryDeliveryLog,
)
from services.alerts.delivery.retry import AttemptFailed, Backoff
from services.alerts.delivery.route_secrets import DeliveryConfigError, resolve_secrets
from services.alerts.delivery.routes import (
    EmailRoute,
    LARoutes,
    Match,
    Router,
    RoutesConfig,
    RoutesConfigError,
    SmtpServer,
    WebhookRoute,
    load_routes,
    parse_routes,
)
from services.alerts.delivery.signing import signature, signed_content, verify_signature

__all__ = [
    "STATUSES",
    "AttemptFailed",
    "AttemptStatus",
    "Backoff",
    "Channel",
    "DeadLetter",
    "DeliveryAttempt",
    "DeliveryConfigError",
    "DeliveryLog",
    "Dispatcher",
    "EmailRoute",
    "InMemoryDeliveryLog",
    "LARoutes",
    "Match",
    "Notification",
    "Router",
    "RoutesConfig",
    "RoutesConfigError",
    "SchoolDigest",
    "SmtpServer",
    "Status",
    "Submission",
    "WebhookRoute",
    "build_message",
    "group_by_school",
    "load_routes",
    "parse_routes",
    "resolve_secrets",
    "signature",
    "signed_content",
    "verify_signature",
]
