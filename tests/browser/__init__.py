"""Real-browser tests of the public pages (headless Debian Chromium)."""
