/* Quartierskarte Minden: marker and popup construction for the offer layers.
 * Offer text is untrusted: it only ever reaches the page through textContent
 * or DOM properties, never through innerHTML. */
(function () {
  "use strict";
  // Row layout produced by geo/render/mapbuild.py::offer_rows
  var LAT = 0, LON = 1, NAME = 2, TRAEGER = 3, ADRESSE = 4, STADTTEIL = 5, GENAU = 6,
      ZEITEN = 7, WEBSITE = 8, TELEFON = 9, INFO = 10, STAND = 11, ID = 12;

  function el(tag, cls, value) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (value !== undefined) { node.textContent = value; }
    return node;
  }

  // Offer data is German text inside an interface that may be Arabic or Persian: each value carries its own
  // language and an isolated direction, so that "ungefähr." keeps its full stop at the end in an RTL popup.
  function data(node) {
    node.lang = "de";
    node.dir = "auto";
    return node;
  }

  function entry(list, label, value) {
    if (!value) { return null; }
    list.appendChild(el("dt", "", label));
    var dd = data(el("dd", "", value));
    list.appendChild(dd);
    return dd;
  }

  function link(dd, href, text, external) {
    dd.textContent = "";
    var a = el("a", "", text);
    a.href = href;
    if (external) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
    dd.appendChild(a);
  }

  function popup(r, cfg) {
    var L_ = cfg.labels;
    var box = el("div", "qk-popup");
    box.lang = cfg.lang;
    box.dir = /^(ar|fa)\b/.test(cfg.lang) ? "rtl" : "ltr";
    box.appendChild(data(el("h3", "qk-popup-title", r[NAME])));
    box.appendChild(el("p", "qk-popup-hf", cfg.name));
    if (r[GENAU] !== "adresse") {
      box.appendChild(el("p", "qk-popup-warn", L_["genau_" + r[GENAU]] || L_.ungefaehr));
    }
    var dl = el("dl", "qk-popup-details");
    entry(dl, L_.traeger, r[TRAEGER]);
    entry(dl, L_.adresse, r[ADRESSE]);
    entry(dl, L_.stadtteil, r[STADTTEIL]);
    entry(dl, L_.zeiten, r[ZEITEN]);
    var web = entry(dl, L_.website, r[WEBSITE]);
    if (web && /^https?:\/\//i.test(r[WEBSITE])) { link(web, r[WEBSITE], r[WEBSITE], true); }
    var tel = entry(dl, L_.telefon, r[TELEFON]);
    if (tel) { link(tel, "tel:" + r[TELEFON].replace(/[^0-9+]/g, ""), r[TELEFON], false); }
    entry(dl, L_.info, r[INFO]);
    entry(dl, L_.stand, r[STAND]);
    box.appendChild(dl);
    return box;
  }

  function icon(cfg, approx) {
    var cls = "qk-pin" + (approx ? " qk-pin-approx" : "");
    return L.divIcon({
      className: "qk-marker",
      html: '<span class="' + cls + '" style="background:' + cfg.color + '"><span aria-hidden="true">' +
            cfg.symbol + "</span></span>",
      iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -14], tooltipAnchor: [14, 0]
    });
  }

  // Leaflet focuses the map on mouse-down so that arrow keys work; inside the Streamlit
  // iframe that focus scrolls the parent page, and the click lands beside the marker.
  if (L.Map.Keyboard) {
    L.Map.Keyboard.prototype._onMouseDown = function () {
      if (!this._focused) { this._map._container.focus({ preventScroll: true }); }
    };
  }

  function name(node, text, withTitle) {
    if (!node || !text) { return; }
    node.setAttribute("aria-label", text);
    if (withTitle) { node.title = text; }
  }

  // Leaflet names its controls in English; the layer control is built after QK.setup (folium writes it last),
  // so it takes its name from QK.texts when it is created.
  if (L.Control.Layers) {
    var initLayers = L.Control.Layers.prototype._initLayout;
    L.Control.Layers.prototype._initLayout = function () {
      initLayers.apply(this, arguments);
      name(this._layersLink, window.QK.texts.layers, true);
    };
  }

  // An offer's popup and tooltip are bound when its marker is first shown on its own or opened. Most markers of a
  // large map stay inside clusters, and binding all of them up front (a popup, a tooltip and eight listeners
  // each) cost 10,000 offers about 0.1 s and much garbage before the first marker was drawn.
  function bindOffer(m) {
    if (m._qkBound) { return; }
    m._qkBound = true;
    var r = m.options.qkRow, cfg = m.options.qkCfg;
    // Popups keep clear of the zoom buttons (top left) and the layer button (top right); on a phone
    // they were opened under them and could not be closed. maxHeight (scrolling) keeps the marker on screen
    // after the pan: the cluster layer (qk-cluster.js) takes off markers that leave the view, and their popup with them.
    // The padding keeps the popup right of the control column at the top left (zoom +/−, then ◎ "my location",
    // 44 px wide from 10 px) and below the layer button at the top right: with only a top padding the title of
    // a popup opened at the left edge lay under ◎.
    m.bindPopup(function () { return popup(r, cfg); }, {
      maxWidth: 280, maxHeight: 240, autoPanPaddingTopLeft: L.point(58, 62), autoPanPaddingBottomRight: L.point(10, 20)
    });
    m.bindTooltip(function () { return data(el("span", "", r[NAME])); });
  }
  var OfferMarker = L.Marker.extend({
    onAdd: function (map) {
      bindOffer(this);
      return L.Marker.prototype.onAdd.call(this, map);
    },
    openPopup: function () {
      bindOffer(this);
      return L.Marker.prototype.openPopup.apply(this, arguments);
    }
  });

  window.QK = {
    texts: {},
    rowId: ID,  // where a row keeps the offer id (qk-cluster.js looks offers up by it)
    marker: function (r, cfg) {
      cfg._icon = cfg._icon || icon(cfg, false);
      cfg._iconApprox = cfg._iconApprox || icon(cfg, true);
      var approx = r[GENAU] !== "adresse";
      var title = r[NAME] + " (" + cfg.name + (approx ? ", " + cfg.labels.ungefaehr : "") + ")";
      return new OfferMarker([r[LAT], r[LON]], {
        icon: approx ? cfg._iconApprox : cfg._icon, keyboard: true, title: title, riseOnHover: true,
        qkRow: r, qkCfg: cfg
      });
    },
    clusterLabel: "{n}",
    // A cluster of ``count`` offers takes their Handlungsfeld's ``colour`` if they share one (else "": a neutral
    // dark grey). Its element is a keyboard button (Leaflet marker), so it gets an accessible name.
    clusterIcon: function (count, colour) {
      var mixed = colour ? "" : " qk-cluster-mixed";
      var icon = L.divIcon({ className: "qk-cluster", iconSize: [38, 38],
        html: '<span class="qk-cluster-inner' + mixed + '" style="background:' + (colour || "#3d3d3d") +
              '"><span aria-hidden="true">' + count + "</span></span>" });
      var label = window.QK.clusterLabel.replace("{n}", String(count));
      var create = icon.createIcon;
      icon.createIcon = function (old) {
        var node = create.call(this, old);
        node.setAttribute("role", "button");
        node.setAttribute("aria-label", label);
        node.title = label;
        return node;
      };
      return icon;
    },
    // The resident's location (a yellow ring) and the offer chosen in the nearest-offers list (opened).
    focus: function (map, cluster, cfg) {
      if (cfg.location) {
        var here = L.circleMarker(cfg.location, {
          radius: 10, color: "#000000", weight: 3, fillColor: "#ffd400", fillOpacity: 1, className: "qk-here",
          interactive: true, bubblingMouseEvents: false
        }).addTo(map);
        here.bindTooltip(function () { return el("span", "", cfg.locationLabel); });
        var node = here.getElement && here.getElement();
        if (node) { node.setAttribute("role", "img"); node.setAttribute("aria-label", cfg.locationLabel); }
      }
      if (cfg.bounds) { map.fitBounds(cfg.bounds, { padding: [32, 32], animate: false, maxZoom: 16 }); }
      if (cfg.offerId) {
        var target = cluster.markerById(cfg.offerId);
        if (target) {
          cluster.zoomToShowLayer(target, function () {
            target.openPopup();
            if (target._icon) { target._icon.classList.add("qk-selected"); }
          });
        }
      }
    },
    // Background tiles from another host only after consent: that host receives the visitor's IP address.
    tileConsent: function (map, cfg) {
      var key = "qk-tiles:" + cfg.host;
      function load() {
        L.tileLayer(cfg.url, { attribution: cfg.attribution, maxZoom: 19 }).addTo(map);
      }
      var remembered = false;
      try { remembered = window.sessionStorage.getItem(key) === "ja"; } catch (e) { remembered = false; }
      if (remembered) { load(); return; }
      var control = L.control({ position: "bottomleft" });
      control.onAdd = function () {
        var div = L.DomUtil.create("div", "qk-control qk-tiles");
        div.appendChild(el("p", "", cfg.text));
        var button = el("button", "qk-tiles-button", cfg.button);
        button.type = "button";
        div.appendChild(button);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.on(button, "click", function () {
          try { window.sessionStorage.setItem(key, "ja"); } catch (e) { /* private mode: ask again next time */ }
          map.removeControl(control);
          load();
        });
        return div;
      };
      control.addTo(map);
    },
    // "My location": the browser's geolocation, where the browser allows it, sent to the app as a map click
    // (the map frame reports clicks to the app, app/widgets/mapframe.py). Without the Geolocation API there is no button.
    locateControl: function (map, cfg) {
      if (!("geolocation" in navigator)) { return; }
      var control = L.control({ position: "topleft" });
      control.onAdd = function () {
        var div = L.DomUtil.create("div", "leaflet-bar qk-locate");
        var button = el("button", "qk-locate-button", "\u25CE");
        button.type = "button";
        name(button, cfg.label, true);
        var status = el("span", "qk-locate-status");
        status.setAttribute("role", "status");
        div.appendChild(button);
        div.appendChild(status);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.on(button, "click", function () {
          status.textContent = cfg.searching;
          navigator.geolocation.getCurrentPosition(function (pos) {
            status.textContent = "";
            map.fire("click", { latlng: L.latLng(pos.coords.latitude, pos.coords.longitude) });
          }, function () {
            status.textContent = cfg.failed;
          }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 });
        });
        return div;
      };
      control.addTo(map);
    },
    setup: function (map, districts, cluster, cfg) {
      performance.mark("qk-clustern");
      cluster.addTo(map);
      performance.mark("qk-geclustert");
      var texts = window.QK.texts = cfg.texts || {};
      document.documentElement.lang = cfg.lang;
      // folium writes user-scalable=no: that blocks pinch-zoom (WCAG 1.4.4). Every viewport tag allows zooming.
      document.querySelectorAll('meta[name="viewport"]').forEach(function (meta) {
        meta.setAttribute("content", "width=device-width, initial-scale=1.0");
      });
      // A named region for screen readers; the controls in the UI language, not Leaflet's English.
      var container = map.getContainer();
      container.setAttribute("role", "region");
      name(container, texts.map, false);
      if (map.zoomControl) {
        name(map.zoomControl._zoomInButton, texts.zoomIn, true);
        name(map.zoomControl._zoomOutButton, texts.zoomOut, true);
      }
      container.querySelectorAll(".leaflet-control-layers-toggle").forEach(function (a) { name(a, texts.layers, true); });
      map.on("popupopen", function (e) {
        name(e.popup._closeButton, texts.closePopup, false);
        // A long popup scrolls (maxHeight): keyboard users must be able to focus it to scroll it (WCAG 2.1.1).
        var content = e.popup._contentNode;
        if (content && content.scrollHeight > content.clientHeight) { content.tabIndex = 0; }
      });
      // District shapes are not tab stops (19 unnamed stops before the first offer); their data is in the lists.
      districts.eachLayer(function (layer) {
        var node = layer.getElement && layer.getElement();
        if (node) { node.setAttribute("tabindex", "-1"); node.setAttribute("aria-hidden", "true"); }
      });

      // Enter toggles a layer checkbox too (Space does already): keyboard users expect Enter to act.
      container.addEventListener("keydown", function (ev) {
        var target = ev.target;
        if (ev.key === "Enter" && target && target.type === "checkbox" && target.closest(".leaflet-control-layers")) {
          ev.preventDefault();
          target.click();
        }
      });
      // Escape closes the open popup and returns focus to the marker that opened it.
      document.addEventListener("keydown", function (ev) {
        if (ev.key !== "Escape" || !map._popup || !map.hasLayer(map._popup)) { return; }
        var source = map._popup._source;
        map.closePopup();
        if (source && source._icon) { source._icon.focus({ preventScroll: true }); }
      });
    }
  };
})();
