"""Tune's side of a search: the searchers and schedulers a sweep hands the Tuner, each by name from its registry.
Ray is imported where they are built, so the schema can name them without it."""
