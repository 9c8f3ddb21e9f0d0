/* Quartierskarte Minden: marker and popup construction for the offer layers.
 * Offer text is untrusted: it only ever reaches the page through textContent
 * or DOM properties, never through innerHTML. */
(function () {
  "use strict";
  // Row layout produced by geo/mapbuild.py::offer_rows
  var LAT = 0, LON = 1, NAME = 2, TRAEGER = 3, ADRESSE = 4, STADTTEIL = 5, GENAU = 6,
      ZEITEN = 7, WEBSITE = 8, TELEFON = 9, INFO = 10, STAND = 11;

  function el(tag, cls, value) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (value !== undefined) { node.textContent = value; }
    return node;
  }

  function entry(list, label, value) {
    if (!value) { return null; }
    list.appendChild(el("dt", "", label));
    var dd = el("dd", "", value);
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
    box.appendChild(el("h3", "qk-popup-title", r[NAME]));
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

  window.QK = {
    marker: function (r, cfg) {
      cfg._icon = cfg._icon || icon(cfg, false);
      cfg._iconApprox = cfg._iconApprox || icon(cfg, true);
      var approx = r[GENAU] !== "adresse";
      var title = r[NAME] + " (" + cfg.name + (approx ? ", " + cfg.labels.ungefaehr : "") + ")";
      var m = L.marker([r[LAT], r[LON]], {
        icon: approx ? cfg._iconApprox : cfg._icon, keyboard: true, title: title, riseOnHover: true,
        qkColor: cfg.color
      });
      m.bindPopup(function () { return popup(r, cfg); }, { maxWidth: 300 });
      m.bindTooltip(function () { return el("span", "", r[NAME]); });
      return m;
    },
    // A cluster takes its Handlungsfeld's colour if all its offers share one, else a neutral dark grey.
    clusterIcon: function (cluster) {
      var colours = {};
      cluster.getAllChildMarkers().forEach(function (m) { colours[m.options.qkColor] = true; });
      var keys = Object.keys(colours);
      var colour = keys.length === 1 ? keys[0] : "#3d3d3d";
      var mixed = keys.length === 1 ? "" : " qk-cluster-mixed";
      return L.divIcon({ className: "qk-cluster", iconSize: [38, 38],
        html: '<span class="qk-cluster-inner' + mixed + '" style="background:' + colour + '"><span aria-hidden="true">' +
              cluster.getChildCount() + "</span></span>" });
    }
  };
})();
