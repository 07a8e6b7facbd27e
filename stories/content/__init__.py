"""Content: what a story says and how it reads, as pure functions and vocabularies (no
database): kinds of change and credit roles, text cleaning, credit sentences, Markdown
rendering and word-level diffs."""
