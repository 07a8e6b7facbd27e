# Who can change the record, in the audit trail: every login, failed login, logout and
# change of a staff account's permissions, groups or flags is an AccountEvent
# (stories/accounts.py), append-only like the rest of the audit trail (its triggers are
# installed here, and put back after every migrate); and each login's session is
# recorded (StaffSession, an ordinary table), so that an administrator can list a
# person's sessions and end them, which Django's session store cannot do by itself.


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from stories.record import append_only


def guard(apps, schema_editor):
    append_only.install(schema_editor.connection, ["stories_accountevent"])


def unguard(apps, schema_editor):
    append_only.remove(schema_editor.connection, ["stories_accountevent"])


class Migration(migrations.Migration):

    dependencies = [
        ('stories', '0019_tree_heads_by_size_and_time'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AccountEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True)),
                ('kind', models.CharField(choices=[('login', 'Logged in'), ('login_failed', 'Failed to log in'), ('logout', 'Logged out'), ('second_factor_failed', 'Second factor refused'), ('second_factor_enrolled', 'Second factor set up'), ('recovery_codes', 'New recovery codes'), ('permissions_changed', 'Permissions changed'), ('groups_changed', 'Groups changed'), ('group_permissions_changed', "A group's permissions changed"), ('status_changed', 'Staff, superuser or active status changed'), ('session_ended', 'Session ended')], max_length=40)),
                ('username', models.CharField(blank=True, help_text='As typed, for failures.', max_length=150)),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                ('detail', models.TextField(blank=True)),
                ('actor', models.ForeignKey(blank=True, help_text='Who did it, when it was someone else (an administrator).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(blank=True, help_text='The account concerned (none for an unknown username or a group).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='account_events', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='StaffSession',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('session_key', models.CharField(max_length=40, unique=True)),
                ('started_at', models.DateTimeField()),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                ('user_agent', models.CharField(blank=True, max_length=300)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='staff_sessions', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'open session',
                'ordering': ['-started_at'],
            },
        ),
        migrations.RunPython(guard, unguard),
    ]
