"""ktag: the Python client of ktagd, the Korean financial news tagger.

    from ktag import Client, TagError, Timeout
    with Client("tcp://127.0.0.1:5555", timeout=5.0) as c:
        r = c.tag("SK하이닉스 주가가 9% 하락했다", id="a1")
        for r in c.tag_many(docs, window=64):   # pipelined, input order
            ...

For asyncio, ``ktag.asyncio.AsyncClient`` has the same methods as coroutines
(``async for r in c.tag_many(docs)``).

See clients/python/README.md and SPEC.md ("Result schema", "Wire protocol").
"""

from .client import OPTION_KEYS, Client, Document, DocumentId
from .curve import read_key
from .errors import KtagError, TagError, Timeout

__all__ = ["Client", "Document", "DocumentId", "KtagError", "OPTION_KEYS", "TagError", "Timeout",
           "read_key", "__version__"]

__version__ = "0.2.0"
