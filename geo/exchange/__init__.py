"""The outside world: exports (CSV, GeoJSON, Open Referral HSDS), OpenStreetMap import, geocoding, the
HTTP helper they share, and the builder of the schematic district geometry.

Nothing here runs on a page view except the exports; network access only on an operator's command.
"""
