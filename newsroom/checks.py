"""System checks of the settings that a typo would quietly weaken (``manage.py check``,
run by ``runserver``, ``migrate`` and ``make serve``): the witnesses the log accepts, and
the second factor that production requires."""

from django.core.checks import Error, register


@register()
def witnesses_are_verifier_keys(app_configs=None, **kwargs):
    """``NEWSROOM_LOG_WITNESSES``: each a C2SP verifier key of type 0x04 (cosignature)."""
    from stories.record import checkpoints

    return [
        Error(problem, hint="Ask the witness for its vkey (name+keyid+base64).", id="newsroom.E101")
        for problem in checkpoints.witness_problems()
    ]


@register(deploy=False)
def second_factor_in_production(app_configs=None, **kwargs):
    """Production requires a second factor of everyone who can change the record."""
    from django.conf import settings

    if settings.PRODUCTION and not settings.SECOND_FACTOR_REQUIRED:
        return [
            Error(
                "NEWSROOM_REQUIRE_SECOND_FACTOR is off in production: a password alone would "
                "let anyone who learns it publish, withdraw or remove content.",
                hint="Unset NEWSROOM_REQUIRE_SECOND_FACTOR (it is on in production by default).",
                id="newsroom.E102",
            )
        ]
    return []
