"""The Streamlit side of the Quartierskarte: pages that only wire widgets to :mod:`geo`.

``cache`` holds what is loaded once per process, ``state`` the session and URL state, ``widgets`` the
widgets several pages share, ``pages`` one module per page (run by ``st.navigation`` in ``streamlit_app.py``).
"""
