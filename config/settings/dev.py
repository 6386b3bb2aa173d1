"""Local development: the demo city on SQLite. Never used in production."""

from .base import *  # noqa: F403
from .base import env, env_bool

# Off by default, as in production: a newcomer sees the Chinese error pages, never Django's
# debug page with its list of URL patterns. Tracebacks still go to the console (LOGGING).
# DJANGO_DEBUG=1 turns the debug pages on for whoever wants them.
DEBUG = env_bool("DJANGO_DEBUG", False)
# With DEBUG off runserver no longer serves static files: WhiteNoise does, straight from the
# app and project static folders (no collectstatic), picking up edits as they are made.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
# Development-only secrets; production settings refuse to start without real ones.
SECRET_KEY = env("SECRET_KEY") or "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY") or "ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="
# Demo personas may log in without a TOTP device so that a newcomer can look around.
SECOND_FACTOR_EXEMPT_USERNAMES = ["demo_admin", "demo_auditor"]
