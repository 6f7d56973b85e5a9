"""Open Referral HSDS 3.0: the mapping of our models, and the read API under /hsds."""
