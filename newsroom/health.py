"""Readiness for the load balancer: 503 with ``Retry-After`` when a service is down, and
"degraded" when the site serves but something needs a person.

django-health-check answers 500 when a check fails; load balancers and orchestrators
read 503 as "not ready now, ask again", the meaning wanted here, and a 500 looks like a
bug in the check itself. A check that only warns (``ServiceWarning``: the transparency
log's key refused to sign, see ``LogSigner``) leaves the answer at 200, so the servers
stay in rotation and readers keep reading, with ``X-Newsroom-Health: degraded`` and the
warning in the body for monitoring to alert on.
"""

import dataclasses

from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView


@dataclasses.dataclass
class LogSigner(HealthCheck):
    """Warns while the log's key has refused to sign a tree that did not extend the last
    head it signed, until an operator acknowledges it (stories/record/signer.py)."""

    def run(self):
        from stories.record import signer

        try:
            refusals = signer.unacknowledged_refusals()
        except signer.SignerRecordUnreadable as error:
            raise ServiceUnavailable(str(error)) from None
        if refusals:
            latest = refusals[-1]
            raise ServiceWarning(
                f"the log's key refused to sign {len(refusals)} time(s), last at "
                f"{latest['at']}: {latest['problem']} (manage.py log_signer --acknowledge)"
            )


class ReadinessView(HealthCheckView):
    retry_after_seconds = 5

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        errors = [result.error for result in self.results if result.error]
        if errors and all(isinstance(error, ServiceWarning) for error in errors):
            response.status_code = 200
        elif response.status_code == 500:
            response.status_code = 503
            response["Retry-After"] = str(self.retry_after_seconds)
        response["X-Newsroom-Health"] = (
            "ok" if not errors else "degraded" if response.status_code == 200 else "down"
        )
        return response
