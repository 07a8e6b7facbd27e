"""The pages that tell a reader how to check the site's record: one in plain words (what
the hashes prove, how to run the verifier), and the technical one a click further."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from stories import addresses
from stories.record import signing


@dataclass(frozen=True)
class VerificationPage:
    """What both pages show: the site's address and its public key, and the addresses of
    the public record a verifier reads."""

    site_url: str
    public_key: str

    @property
    def command(self) -> str:
        """The verifier, run against this site, as a reader types it."""
        return (
            f"python3 outside_verifier.py {self.site_url} --public-key {self.public_key} "
            "--state newsroom-record.json"
        )

    @property
    def guide_url(self) -> str:
        return reverse("reader:verify")

    @property
    def technical_url(self) -> str:
        return reverse("reader:verify_technical")

    @property
    def tree_head_url(self) -> str:
        return reverse("reader:log_head")

    @property
    def public_key_url(self) -> str:
        return reverse("reader:log_public_key")

    @property
    def entries_url(self) -> str:
        return reverse("reader:log_entries")

    @property
    def corrections_policy_url(self) -> str:
        return reverse("reader:corrections_policy")


def verification_page() -> VerificationPage:
    return VerificationPage(site_url=addresses.site_root(), public_key=signing.public_key_hex())
