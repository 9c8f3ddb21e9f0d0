"""What is computed on the loaded data: spatial join, filters and attributes, location, nearest offers,
coverage and gap grid, district comparison and overview.

Pure functions on (Geo)DataFrames; distances, areas and buffers in EPSG:25832 (metres).
"""
