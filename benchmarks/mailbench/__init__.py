"""`make mailbench`: how well inbound mail is read, measured on hand-written corpora.

    python -m benchmarks.mailbench [--slowest 10] [--no-libraries] [--no-speed] [--sizes 100000,1000000,2000000]

``replies.py`` runs the reply cutter (``inbound.replies.reply_text``) on every case of
``tests/reply_corpus/`` and prints how many came out exact, acceptable or wrong, by mail program and by
language, next to the reply-parsing libraries that happen to be installed; then it times the cutter on
pathological bodies of growing size. ``robots.py``, when present, adds its own section.
"""
