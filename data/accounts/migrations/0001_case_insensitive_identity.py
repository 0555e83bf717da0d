"""Usernames and emails are unique ignoring case, enforced by the database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunSQL(
            "CREATE UNIQUE INDEX accounts_user_username_ci "
            "ON auth_user (LOWER(username))",
            "DROP INDEX accounts_user_username_ci",
        ),
        # Users made by createsuperuser may have no email; only real ones must differ.
        migrations.RunSQL(
            "CREATE UNIQUE INDEX accounts_user_email_ci "
            "ON auth_user (LOWER(email)) WHERE email <> ''",
            "DROP INDEX accounts_user_email_ci",
        ),
    ]
