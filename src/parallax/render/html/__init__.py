"""Self-contained HTML pages for ``parallax compare --html`` (``compare.py``) and ``parallax topics --html``
(``topics.py``), on the shell in ``page.py``."""
