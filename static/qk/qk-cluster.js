/* Quartierskarte Minden: the offers of all Handlungsfelder clustered together on a spatial index (Supercluster).
 *
 * Why not Leaflet.markercluster: it clusters offer by offer, and for each one projects it and searches a grid at
 * every zoom level. With 10,000 offers that took a third of a second before the first marker (bench/README.md,
 * "Runde 3"). Supercluster builds one index (a few tens of ms) and answers "what is shown in this view" per view.
 *
 * What the map needs and this file provides:
 * - one cluster layer for all Handlungsfelder, so that offers at the same place cluster together;
 * - one toggle layer per Handlungsfeld for the layer control (QK.offerClusters(...).group);
 * - a cluster zooms in on click or Enter; offers that still share one spot at the highest zoom (a few metres) are
 *   spread in a circle (spiderfied);
 * - focus stays in the map after Enter on a cluster (WCAG 2.4.3);
 * - an offer marker is made only when it is first shown or asked for (popups and tooltips bind on show, qk-map.js).
 * Offer text never reaches innerHTML: markers and popups are built by QK.marker (qk-map.js). */
(function () {
  "use strict";
  var QK = window.QK;
  var MIXED = "";  // a cluster's colour when its offers belong to several Handlungsfelder

  // Focus after Leaflet's own focus handling for the click or key that led here, if the layer is still drawn.
  function focusSoon(layer) {
    setTimeout(function () { if (layer._icon) { layer._icon.focus({ preventScroll: true }); } }, 0);
  }

  // One Handlungsfeld's offers: a layer of its own only for the layer control (showing or hiding them).
  var OfferGroup = L.Layer.extend({
    initialize: function (owner, packed, cfg) {
      this._owner = owner;
      this._packed = packed;
      this._cfg = cfg;
      this._markers = new Array(packed.r.length);
    },
    onAdd: function () { this._owner._groupShown(this, true); },
    onRemove: function () { this._owner._groupShown(this, false); },
    // The marker of offer i, made on first use.
    marker: function (i) {
      var m = this._markers[i];
      if (!m) {
        var r = this._packed.r[i], s = this._packed.s, row = [r[0], r[1]];
        for (var j = 2; j < r.length; j++) { row.push(s[r[j]]); }
        m = this._markers[i] = QK.marker(row, this._cfg);
        m._qkGroup = this;
        m._qkIndex = i;
      }
      return m;
    },
    count: function () { return this._packed.r.length; }
  });

  var OfferClusters = L.Layer.extend({
    options: { radius: 40 },

    initialize: function (options) {
      L.setOptions(this, options);
      this.qkOfferClusters = true;  // the browser tests find the layer among the map's layers by this
      this._groups = [];
      this._shownGroups = [];
      this._index = null;
      this._shown = {};  // key → layer on the map: "c<cluster id>" or "m<marker stamp>"
      this._spider = null;
      this._layer = L.featureGroup();
    },

    // A toggle layer for one Handlungsfeld's offers ({s: strings, r: rows}, see geo/render/mapbuild.py::pack_rows).
    group: function (packed, cfg) {
      var group = new OfferGroup(this, packed, cfg);
      this._groups.push(group);
      return group;
    },

    onAdd: function (map) {
      this._layer.addTo(map);
      map.on("moveend", this._update, this);
      map.on("zoomstart", this._unspiderfy, this);
      map.on("click", this._unspiderfy, this);
      this._rebuild();
    },

    onRemove: function (map) {
      this._unspiderfy();
      map.off("moveend", this._update, this);
      map.off("zoomstart", this._unspiderfy, this);
      map.off("click", this._unspiderfy, this);
      this._layer.clearLayers();
      map.removeLayer(this._layer);
      this._shown = {};
    },

    _groupShown: function (group, shown) {
      var at = this._shownGroups.indexOf(group);
      if (shown && at < 0) { this._shownGroups.push(group); }
      if (!shown && at >= 0) { this._shownGroups.splice(at, 1); }
      if (this._map) { this._rebuild(); }
    },

    // The index over the offers of the Handlungsfelder that are switched on.
    _rebuild: function () {
      this._unspiderfy();
      // A new index numbers its clusters anew: the old cluster markers go, offers' own markers stay.
      for (var key in this._shown) {
        if (key.charAt(0) === "c") { this._layer.removeLayer(this._shown[key]); delete this._shown[key]; }
      }
      var points = [];
      for (var g = 0; g < this._groups.length; g++) {
        var group = this._groups[g];
        if (this._shownGroups.indexOf(group) < 0) { continue; }
        var rows = group._packed.r, colour = group._cfg.color;
        for (var i = 0; i < rows.length; i++) {
          points.push({ type: "Feature", geometry: { type: "Point", coordinates: [rows[i][1], rows[i][0]] },
                        properties: { g: g, i: i, c: colour } });
        }
      }
      var map = this._map;
      // Leaflet's tiles are 256 px: with extent 256 the radius is in the map's pixels. Clustering goes up to
      // the map's highest zoom, so offers at one place stay a cluster there and are spread on click.
      this._index = new window.Supercluster({
        radius: this.options.radius, extent: 256, minZoom: Math.floor(map.getMinZoom()),
        maxZoom: Math.ceil(map.getMaxZoom()),
        map: function (p) { return { c: p.c }; },
        reduce: function (acc, p) { if (acc.c !== p.c) { acc.c = MIXED; } }
      }).load(points);
      this._update();
    },

    _zoom: function () { return Math.round(this._map.getZoom()); },

    // What this view shows: clusters and single offers in and around it (half a screen beyond each edge, so that
    // panning does not show empty borders first).
    _update: function () {
      var map = this._map;
      if (!map || !this._index) { return; }
      var b = map.getBounds().pad(0.5);
      var items = this._index.getClusters([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], this._zoom());
      var next = {}, spider = this._spider;
      for (var k = 0; k < items.length; k++) {
        var item = items[k], key, layer;
        if (item.properties.cluster) {
          key = "c" + item.id;
          if (spider && spider.key === key) { continue; }  // spread out: its offers are on the map instead
          layer = this._shown[key] || this._clusterMarker(item);
        } else {
          layer = this._marker(item.properties);
          key = "m" + L.stamp(layer);
        }
        next[key] = layer;
      }
      for (key in this._shown) {
        if (!next[key]) { this._layer.removeLayer(this._shown[key]); }
      }
      for (key in next) {
        if (!this._shown[key]) { this._layer.addLayer(next[key]); }
      }
      this._shown = next;
      if (this._focusNear) { this._focusNearest(); }
    },

    _marker: function (p) { return this._groups[p.g].marker(p.i); },

    _clusterMarker: function (item) {
      var c = item.geometry.coordinates;
      var m = L.marker([c[1], c[0]], {
        icon: QK.clusterIcon(item.properties.point_count, item.properties.c), keyboard: true
      });
      m._qkCluster = item.id;
      m.on("click", this._clusterClick, this);
      // Leaflet turns Enter on a focused marker into "keypress", not "click" (its popups listen for both)
      m.on("keypress", function (e) { if (e.originalEvent.key === "Enter") { this._clusterClick(e); } }, this);
      return m;
    },

    // Click or Enter on a cluster: zoom to where it splits, or spread offers that share one place.
    _clusterClick: function (e) {
      var m = e.target, map = this._map;
      var zoom = this._index.getClusterExpansionZoom(m._qkCluster);
      if (zoom > map.getMaxZoom()) {
        this._spiderfy(m);
        return;
      }
      // Its icon disappears with the new view: move the focus to what now stands nearest to it, not back to
      // the page start.
      this._focusNear = m.getLatLng();
      map.setView(m.getLatLng(), zoom);
    },

    _focusNearest: function () {
      var map = this._map, near = map.latLngToLayerPoint(this._focusNear), best = null, bestDistance = Infinity;
      this._focusNear = null;
      for (var key in this._shown) {
        var layer = this._shown[key];
        if (!layer._icon) { continue; }
        var d = map.latLngToLayerPoint(layer.getLatLng()).distanceTo(near);
        if (d < bestDistance) { best = layer; bestDistance = d; }
      }
      if (best) { focusSoon(best); }
    },

    // Offers at one place, spread in a circle around it with a line to the place.
    _spiderfy: function (clusterMarker) {
      this._unspiderfy();
      var map = this._map, center = clusterMarker.getLatLng(), at = map.latLngToLayerPoint(center);
      var leaves = this._index.getLeaves(clusterMarker._qkCluster, Infinity);
      var n = leaves.length, radius = Math.max(36, (n * 38) / (2 * Math.PI)), legs = [], markers = [];
      this._layer.removeLayer(clusterMarker);
      for (var k = 0; k < n; k++) {
        var angle = -Math.PI / 2 + (2 * Math.PI * k) / n;
        var spot = map.layerPointToLatLng(at.add(L.point(Math.cos(angle) * radius, Math.sin(angle) * radius)));
        var m = this._marker(leaves[k].properties);
        m._qkHome = m.getLatLng();
        m.setLatLng(spot);
        legs.push(L.polyline([center, spot], { color: "#222222", weight: 1.5, opacity: 0.8, interactive: false,
                                               className: "qk-spider-leg" }).addTo(this._layer));
        this._layer.addLayer(m);
        markers.push(m);
      }
      this._spider = { key: "c" + clusterMarker._qkCluster, cluster: clusterMarker, markers: markers, legs: legs };
      delete this._shown[this._spider.key];
      focusSoon(markers[0]);
    },

    _unspiderfy: function () {
      var spider = this._spider;
      if (!spider) { return; }
      this._spider = null;
      for (var k = 0; k < spider.markers.length; k++) {
        var m = spider.markers[k];
        this._layer.removeLayer(m);
        m.setLatLng(m._qkHome);
        delete m._qkHome;
      }
      spider.legs.forEach(function (leg) { this._layer.removeLayer(leg); }, this);
      this._layer.addLayer(spider.cluster);
      this._shown[spider.key] = spider.cluster;
    },

    // Every offer marker (made now if not yet): for the chosen-offer lookup and the browser tests.
    getLayers: function () {
      var all = [];
      this._groups.forEach(function (group) {
        for (var i = 0; i < group.count(); i++) { all.push(group.marker(i)); }
      });
      return all;
    },

    // The offer with this id, or null.
    markerById: function (id) {
      for (var g = 0; g < this._groups.length; g++) {
        var group = this._groups[g], s = group._packed.s, rows = group._packed.r;
        for (var i = 0; i < rows.length; i++) {
          if (s[rows[i][QK.rowId]] === id) { return group.marker(i); }
        }
      }
      return null;
    },

    // Zoom until ``marker`` stands on its own (or spread it with the offers that share its place), then call done.
    zoomToShowLayer: function (marker, done) {
      var map = this._map, group = marker._qkGroup;
      if (!map || !this._index || this._shownGroups.indexOf(group) < 0) { return; }
      var g = this._groups.indexOf(group), i = marker._qkIndex, ll = marker._qkHome || marker.getLatLng();
      var e = 1e-7, box = [ll.lng - e, ll.lat - e, ll.lng + e, ll.lat + e], zoom = this._zoom();
      var alone = function (z) {
        return this._index.getClusters(box, z).some(function (f) {
          return !f.properties.cluster && f.properties.g === g && f.properties.i === i;
        });
      }.bind(this);
      while (zoom <= map.getMaxZoom() && !alone(zoom)) { zoom++; }
      if (marker._icon) { done(); return; }
      map.setView(ll, Math.min(zoom, map.getMaxZoom()), { animate: false });
      if (!marker._icon) {  // shares its place with other offers: spread them
        for (var key in this._shown) {
          var layer = this._shown[key];
          if (layer._qkCluster !== undefined && this._index.getLeaves(layer._qkCluster, Infinity).some(function (f) {
            return f.properties.g === g && f.properties.i === i;
          })) { this._spiderfy(layer); break; }
        }
      }
      if (marker._icon) { done(); }
    }
  });

  QK.offerClusters = function (options) {
    performance.mark("qk-angebote");  // the offer layers start (bench/frame_only.py reads these marks)
    return new OfferClusters(options);
  };
})();
