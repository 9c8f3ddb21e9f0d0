"""Quartierskarte Minden: data loading, validation, spatial joins and map building.

Everything here is importable and testable without Streamlit. Coordinates are
stored and displayed in EPSG:4326 (WGS84 lon/lat); distances, areas and buffers
are computed in EPSG:25832 (ETRS89 / UTM 32N, metres).
"""
