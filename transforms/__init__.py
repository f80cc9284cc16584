"""newsbeam's stages, one subpackage each, in the order data flows through them:

read → fetch → parse → dedup → extract → write

Each stage's front door is its composite ``PTransform``, in its ``__init__.py`` (``ReadInputs``,
``FetchPages``, ``ParseArticles``, ``Deduplicate``, ``ExtractFromText``, ``WriteTables``), and its
pure functions live in the modules beside it. ``common`` holds what stages pass to each other
(:mod:`.common.records`) and what all of them use (errors, timing, progress, redaction, the
fetching client). A stage's modules import from their own stage, from ``common`` and from
``newsbeam.schemas``, never from another stage (``tests/test_layout.py`` holds that).
"""
