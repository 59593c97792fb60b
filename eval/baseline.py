"""The tutorial LangChain pipeline, scored beside ours: RecursiveCharacterTextSplitter 1000/200
over the raw plan, the same embedding model, Chroma, top-4 similarity.

A measure counts as cited when its number starts an item in a retrieved chunk.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass

from index.build import load_embeddings
from index.config import Settings

_ITEM = re.compile(r"(?m)^\s*(?:-\s+)?(\d{1,2})\.\s")


@dataclass
class BaselineAnswer:
    """What the baseline retrieved for one question."""

    cited: list[int]
    text: str
    chunks: list[str]
    seconds: float


class TutorialRAG:
    """Fixed-size chunks + top-k similarity: what most RAG tutorials build."""

    def __init__(self, settings: Settings, k: int = 4):
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        raw = settings.source.read_text(encoding="utf-8")
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        chunks = splitter.split_text(raw)
        self._dir = tempfile.TemporaryDirectory(prefix="ipplan-baseline-")
        client = chromadb.PersistentClient(self._dir.name, settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(
            client=client, collection_name="baseline", embedding_function=load_embeddings(settings.embed_model)
        )
        self.store.add_texts(chunks, ids=[f"chunk-{i}" for i in range(len(chunks))])
        self.k = k
        self.chunk_count = len(chunks)

    def ask(self, question: str) -> BaselineAnswer:
        t0 = time.perf_counter()
        docs = self.store.similarity_search(question, k=self.k)
        chunks = [d.page_content for d in docs]
        cited = sorted({int(n) for c in chunks for n in _ITEM.findall(c) if 1 <= int(n) <= 90})
        return BaselineAnswer(cited, "\n\n".join(chunks), chunks, time.perf_counter() - t0)
