"""A small run of bench.load against the session server: every session renders, no errors (no timing limits)."""
from bench.load import run_load


def test_five_concurrent_sessions_render_and_filter(streamlit_server):
    result = run_load(streamlit_server, sessions=5, timeout=90)
    print(result.summary())
    assert result.error_count == 0, result.summary()
    assert len(result.sessions) == 5
    assert result.all_rendered, result.summary()
