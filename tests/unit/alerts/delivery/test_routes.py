from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.alerts.delivery import (
    EmailRoute,
    Router,
    RoutesConfigError,
    WebhookRoute,
    load_routes,
    parse_routes,
)
from tests.support.alert_notifications import LA, email_route, notification, routes_config, webhook_route

EXAMPLE = Path(__file__).resolve().parents[4] / "services" / "alerts" / "delivery" / "routes.example.json"


def _problem(*routes: dict[str, Any], **top: Any) -> str:
    document = {"format_version": 1, "version": "t", "las": {LA: {"routes": list(routes)}}, **top}
    with pytest.raises(RoutesConfigError) as info:
        parse_routes(document, "routes.json")
    return str(info.value)


def test_the_shipped_example_loads() -> None:
    config = load_routes(EXAMPLE)
    kinds = {route.kind for route in config.routes}
    assert kinds == {"email", "webhook"}
    assert any(route.secure for route in config.routes)


def test_no_file_means_no_routes_for_anyone() -> None:
    router = Router.from_file(None)
    assert router.routes == ()
    assert router.routes_for(notification()) == ()


def test_an_la_without_an_entry_has_no_routes() -> None:
    router = Router(routes_config(webhook_route(), la="886"))
    assert router.routes_for(notification(la_code=LA)) == ()


def test_toml_works_as_well_as_json(tmp_path: Path) -> None:
    path = tmp_path / "routes.toml"
    path.write_text(
        """
format_version = 1
version = "2026-09-01"

[[las.801.routes]]
id = "hook"
kind = "webhook"
url = "https://cases.example.org/rollwatch"
secret_env = "ROLLWATCH_HOOK_SECRET"
match = { min_severity = "medium" }
""",
        encoding="utf-8",
    )
    config = load_routes(path)
    (route,) = config.routes
    assert isinstance(route, WebhookRoute)
    assert route.match.min_severity == "medium"


def test_email_route_fields_and_defaults() -> None:
    (route,) = routes_config(email_route(to=["a@la.example.org", "b@la.example.org"])).routes
    assert isinstance(route, EmailRoute)
    assert route.from_ == "rollwatch@la.example.org"
    assert route.to == ("a@la.example.org", "b@la.example.org")
    assert (route.max_attempts, route.backoff_base_s, route.backoff_max_s) == (6, 30.0, 900.0)
    assert route.secure is False


def test_field_errors_name_the_field_and_the_file() -> None:
    message = _problem(email_route(smtp={"host": "127.0.0.1", "port": 70000, "starttls": False}))
    assert message.startswith("routes.json: invalid routes file:\n")
    assert "las.801.routes[0]<email>.smtp.port" in message


def test_unknown_keys_are_refused_not_ignored() -> None:
    assert "las.801.routes[0]<webhook>.secrett_env" in _problem(webhook_route(secrett_env="X"))


def test_unknown_rule_ids_are_refused() -> None:
    message = _problem(webhook_route(match={"rules": ["no_destinaton"]}))
    assert "match.rules" in message and "no_destinaton" in message


def test_every_problem_is_listed() -> None:
    message = _problem(webhook_route(url="ftp://x"), email_route(to=["not an address"]))
    assert "routes[0]<webhook>.url" in message
    assert "routes[1]<email>.to[0]" in message


def test_webhooks_off_this_machine_need_https() -> None:
    assert "use https" in _problem(webhook_route(url="http://cases.example.org/hook"))
    routes_config(webhook_route(url="http://localhost:9000/hook"))  # loopback may be plain


def test_smtp_off_this_machine_needs_tls() -> None:
    message = _problem(email_route(smtp={"host": "smtp.example.org", "starttls": False}))
    assert "starttls or implicit_tls" in message
    routes_config(email_route(smtp={"host": "smtp.example.org", "starttls": True}))


def test_smtp_username_needs_a_password_variable() -> None:
    assert "username and password_env" in _problem(
        email_route(smtp={"host": "127.0.0.1", "starttls": False, "username": "u"})
    )


def test_secret_variables_are_named_not_given() -> None:
    assert "secret_env" in _problem(webhook_route(secret_env="lower-case"))


def test_route_ids_are_unique_across_las() -> None:
    document = {
        "format_version": 1,
        "version": "t",
        "las": {"801": {"routes": [webhook_route("same")]}, "886": {"routes": [webhook_route("same")]}},
    }
    with pytest.raises(RoutesConfigError, match="used twice"):
        parse_routes(document)


def test_la_codes_are_three_digits() -> None:
    document = {"format_version": 1, "version": "t", "las": {"8011": {"routes": []}}}
    with pytest.raises(RoutesConfigError, match=r"las\.8011"):
        parse_routes(document)


def test_format_version_is_checked() -> None:
    with pytest.raises(RoutesConfigError, match="format_version"):
        parse_routes({"format_version": 2, "version": "t"})


def test_unreadable_and_malformed_files_say_which(tmp_path: Path) -> None:
    with pytest.raises(RoutesConfigError, match="cannot read"):
        load_routes(tmp_path / "missing.json")
    broken = tmp_path / "routes.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(RoutesConfigError, match="not valid json"):
        load_routes(broken)
    broken.write_text(json.dumps([1]), encoding="utf-8")
    with pytest.raises(RoutesConfigError, match="must be an object"):
        load_routes(broken)


def test_router_applies_rules_severity_and_status_matchers_in_file_order() -> None:
    router = Router(
        routes_config(
            webhook_route("all"),
            webhook_route("only-high-ehe", match={"rules": ["ehe_vulnerable"], "min_severity": "high"}),
            email_route("medium-up", match={"min_severity": "medium"}),
            email_route("openings", match={"statuses": ["open"]}),
        )
    )

    def ids(**fields: Any) -> list[str]:
        return [route.id for route in router.routes_for(notification(**fields))]

    assert ids(rule="ehe_vulnerable", severity="high") == ["all", "only-high-ehe", "medium-up", "openings"]
    assert ids(rule="ehe_vulnerable", severity="medium") == ["all", "medium-up", "openings"]
    assert ids(rule="high_mobility", severity="low", status="resolved") == ["all"]
    assert ids(rule="late_notification", severity="medium", status="auto_resolved") == ["all", "medium-up"]
