"""URL names reachable without login. The URL-walk test fails for any other unprotected URL."""

PUBLIC_URL_NAMES = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:otp_verify",
        "api-token",
        "api-schema",
        "api-docs",
        "health",
        # Families: the service list, the self-check and help requests need no account.
        "servicelist:public_list",
        "servicelist:public_check",
        "servicelist_api_public_check",
        "care:help_request",
        "care:help_request_done",
        "care:api_help_request",
    }
)
