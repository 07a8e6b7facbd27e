"""Readiness for the load balancer: 503 with ``Retry-After`` when a service is down.

django-health-check answers 500 when a check fails; load balancers and orchestrators
read 503 as "not ready now, ask again", the meaning wanted here, and a 500 looks like a
bug in the check itself.
"""

from health_check.views import HealthCheckView


class ReadinessView(HealthCheckView):
    retry_after_seconds = 5

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
            response["Retry-After"] = str(self.retry_after_seconds)
        return response
