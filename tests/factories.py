"""factory-boy factories for the editorial models."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from stories.kinds import CreditRole
from stories.models import Contributor, Credit, Section, Story
from stories.roles import EDITOR, REPORTER, ROLE_PERMISSIONS

#: The permissions of the newsroom's two roles (stories.roles), for users made in tests.
REPORTER_PERMISSIONS = ROLE_PERMISSIONS[REPORTER]
EDITOR_PERMISSIONS = ROLE_PERMISSIONS[EDITOR]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@newsroom.example")
    is_staff = True
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def permissions(user, create, codenames, **kwargs):
        if create and codenames:
            user.user_permissions.set(
                Permission.objects.filter(content_type__app_label="stories", codename__in=codenames)
            )


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class ContributorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contributor

    name = factory.Faker("name")
    slug = factory.Sequence(lambda n: f"contributor-{n}")
    affiliation = "the Coastal Ledger"


class StoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Story

    headline = factory.Sequence(lambda n: f"Council debates harbor plan, part {n}")
    slug = factory.Sequence(lambda n: f"council-debates-harbor-plan-{n}")
    dek = "The vote is expected next month."
    body = "The council met on Tuesday.\n\nResidents spoke for three hours."
    section = factory.SubFactory(SectionFactory)
    dateline = "PORT HAVEN"


class CreditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credit

    story = factory.SubFactory(StoryFactory)
    contributor = factory.SubFactory(ContributorFactory)
    role = CreditRole.BYLINE
    position = factory.Sequence(lambda n: n)
