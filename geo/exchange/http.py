"""One HTTP-JSON call with German error messages, shared by the OpenStreetMap import and the geocoder.

Only the command-line tools talk to the network; the app itself never does.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

USER_AGENT = "Quartierskarte-Minden-Import (offene Quartierskarte der Stadt Minden; Kommandozeilen-Werkzeuge)"
"""Identifies the tools to the servers, as the usage policies of Overpass and Nominatim ask."""


class HttpJsonError(Exception):
    """A network, HTTP or JSON failure, with a German message naming the server."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def request_json(request: urllib.request.Request, server: str, timeout_s: float) -> object:
    """Send ``request`` and parse the JSON answer; ``server`` names the service without article (e.g. ``"Overpass-Server https://…"``).

    Raises :class:`HttpJsonError` on every failure: HTTP status (429 and 5xx with a hint), timeout,
    no connection, or an answer that is not JSON.
    """
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 429:
            hint = "zu viele Anfragen; bitte einige Minuten warten oder einen anderen Server wählen"
        elif exc.code in (502, 503, 504):
            hint = "Server überlastet oder Zeitüberschreitung; bitte später erneut versuchen"
        elif exc.code == 400:
            hint = "die Abfrage wurde abgelehnt"
        else:
            hint = exc.reason or "unbekannter Fehler"
        raise HttpJsonError(f"Der {server} antwortete mit HTTP {exc.code} ({hint}).", exc.code) from exc
    except TimeoutError as exc:
        raise HttpJsonError(_timeout_message(server, timeout_s)) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise HttpJsonError(_timeout_message(server, timeout_s)) from exc
        raise HttpJsonError(f"Keine Verbindung zum {server} ({exc.reason}). Besteht eine Internetverbindung?") from exc
    except (OSError, ValueError) as exc:
        raise HttpJsonError(f"Abruf vom {server} fehlgeschlagen ({exc}).") from exc
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HttpJsonError(f"Die Antwort vom {server} ist kein gültiges JSON (Fehlerseite?).") from exc


def _timeout_message(server: str, timeout_s: float) -> str:
    return f"Der {server} hat nicht innerhalb von {timeout_s:g} s geantwortet."
