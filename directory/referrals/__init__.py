"""Caseworker referral packets: options for one client, printable and shareable, with follow-up status."""
