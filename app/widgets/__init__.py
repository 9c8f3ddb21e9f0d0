"""Streamlit widgets shared by several pages; each reads its state from :mod:`app.state` and calls
:mod:`geo` for everything it computes."""
