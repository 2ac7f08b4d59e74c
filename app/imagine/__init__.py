"""Imagine: image generation as jobs on workers, behind pluggable back ends."""
