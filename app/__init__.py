"""Rostro: a self-hostable hub for AI role-play characters and lorebooks."""
