"""HTTP security headers on every response."""
from __future__ import annotations

# No inline script or style anywhere: every script and stylesheet is a file
# under /static, so the policy can forbid everything else.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    if response.mimetype == "text/html":
        # Pages are in the reader's language (cookie, then Accept-Language): caches must key on both.
        response.vary.add("Cookie")
        response.vary.add("Accept-Language")
    return response
