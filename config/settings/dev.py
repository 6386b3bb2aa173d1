"""Local development: the demo city on SQLite. Never used in production."""

from .base import *  # noqa: F403
from .base import env

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
# Development-only secrets; production settings refuse to start without real ones.
SECRET_KEY = env("SECRET_KEY") or "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY") or "ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="
# Demo personas may log in without a TOTP device so that a newcomer can look around.
SECOND_FACTOR_EXEMPT_USERNAMES = ["demo_admin", "demo_auditor"]
