"""What users see and share: the Folium map and its offline assets, offer cards, the gap map, posters and
handouts (PDF), number formatting and the view encoded in a link (URL state).

Every text that comes from data is escaped here before it reaches HTML.
"""
