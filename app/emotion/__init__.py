"""Emotion of a character's message: GoEmotions labels for expression sprites."""
