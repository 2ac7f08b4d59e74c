"""Celery app and the thin task shims that run job functions of ``app``."""
