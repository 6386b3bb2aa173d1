"""The password hasher: Argon2id at the OWASP Password Storage Cheat Sheet's configuration.

Django's default PBKDF2 (1,000,000 iterations of SHA-256) costs a login about as much CPU as
an Argon2id that uses 100 MiB: both several hundred milliseconds on this project's 2-core
reference machine. OWASP lists as equivalent minimums PBKDF2-HMAC-SHA256 at 600,000
iterations and Argon2id at 19 MiB of memory, 2 iterations, 1 lane; the memory-hard Argon2id
resists GPU and ASIC guessing that PBKDF2 does not, at a fifth of the login's CPU time.
Existing PBKDF2 (and other Argon2) hashes are still accepted and rewritten with these
parameters at the user's next successful login (settings.PASSWORD_HASHERS).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB: 19 MiB
    parallelism = 1
