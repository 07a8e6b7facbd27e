"""System checks of the settings that a typo would quietly weaken (``manage.py check``,
run by ``runserver`` and ``make serve``): the witnesses the log accepts."""

from django.core.checks import Error, register


@register()
def witnesses_are_verifier_keys(app_configs=None, **kwargs):
    """``NEWSROOM_LOG_WITNESSES``: each a C2SP verifier key of type 0x04 (cosignature)."""
    from stories.record import checkpoints

    return [
        Error(problem, hint="Ask the witness for its vkey (name+keyid+base64).", id="newsroom.E101")
        for problem in checkpoints.witness_problems()
    ]
