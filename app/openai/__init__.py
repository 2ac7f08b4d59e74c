"""The OpenAI-compatible /v1 API: models, chat and text completions.

Requests go to an upstream OpenAI-compatible server (``ROSTRO_LLM_BASE_URL``)
or to a small local model; ``model: "character/<creator>/<slug>"`` makes the
hub build the prompt from a character card and its lore.
"""
