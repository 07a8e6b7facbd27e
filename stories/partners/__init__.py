"""Partners: the keys of the read API and the webhooks that tell partners of each new
version, so a correction reaches every copy.

- ``keys``: partner API keys (made, shown once, stored hashed, revoked);
- ``endpoints``: webhook endpoints (added, disabled, secrets rotated) and the address
  check that keeps deliveries off private networks;
- ``events``: which event a published version makes, and its thin payload;
- ``delivery``: the outbox written inside each publish, and the task that delivers it,
  signed by the Standard Webhooks specification, with retries.

The rows live in ``stories.models.partners``. The admin, the commands and the API call
these modules; the publishing service knows nothing of them (it sends signals).
"""
