"""SMS gateways behind ``bot.jobs.sms.SmsGateway``: log (default), twilio, smpp."""

from __future__ import annotations

import os
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.jobs.sms import SmsGateway


def gateway_name(settings: Settings) -> str:
    """The gateway really used: a drill always writes to the log file."""
    return "log" if settings.notify.drill else settings.notify.gateway


def build_gateway(settings: Settings, data_dir: Path) -> SmsGateway:
    n = settings.notify
    name = gateway_name(settings)
    if name == "log":
        from adapters.sms.log import LogGateway

        return LogGateway(data_dir / "sms-log.jsonl")
    if name == "twilio":
        from adapters.sms.twilio import TwilioGateway

        token = os.environ.get(n.twilio.auth_token_env)
        if not n.twilio.account_sid or not token:
            raise ConfigError(
                f"notify.twilio: set account_sid in the config and the auth token in "
                f"{n.twilio.auth_token_env}"
            )
        if not (n.twilio.from_number or n.twilio.messaging_service_sid):
            raise ConfigError("notify.twilio: set from_number or messaging_service_sid")
        return TwilioGateway(n.twilio, token)
    from adapters.sms.smpp import SmppGateway

    password = os.environ.get(n.smpp.password_env)
    if not n.smpp.system_id or password is None:
        raise ConfigError(
            f"notify.smpp: set system_id in the config and the password in {n.smpp.password_env}"
        )
    return SmppGateway(n.smpp, password, region=settings.appointments.region)
