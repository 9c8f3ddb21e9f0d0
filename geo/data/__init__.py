"""Reading and checking the files: offers, districts, indicators, gazetteer, outline, measures, legal texts.

Every reader reports bad rows as :class:`geo.data.problems.Problem` (file, row, column, reason) instead of
dropping them. Geometries are returned in EPSG:4326; :mod:`geo.dataset` bundles one loaded set.
"""
