/* permitmap deposits layer: each view asks /api/deposits for what is on screen (points, or
   one cluster per grid cell when zoomed out), so the browser never holds the whole table. */
(function () {
  "use strict";
  var escapeHtml = window.permitmapEscape;  // common.js
  var text = window.permitmapText;  // common.js

  window.permitmapDepositLayer = function (map, group, options) {
    // Deposits draw below the sites (overlayPane is 400), so sites stay clickable on top.
    var pane = "pmDeposits";
    if (!map.getPane(pane)) { map.createPane(pane).style.zIndex = 390; }
    var selected = null;  // the id of the deposit the page has open (sites.js), ringed
    var revision = null;  // the data's revision: a new one (an import) asks again
    function isChosen(feature) {
      return selected !== null && String(feature.properties.id) === selected;
    }
    function look(feature) {
      var chosen = isChosen(feature);
      return {radius: chosen ? 8 : 4, weight: chosen ? 4 : 1,
              color: chosen ? "#0b57d0" : "#333333"};
    }
    var points = L.geoJSON(null, {
      pointToLayer: function (feature, latlng) {
        var colour = options.colours[feature.properties.status] || options.fallback;
        return L.circleMarker(latlng, L.extend({
          pane: pane, fillColor: colour, fillOpacity: 0.9,
          className: isChosen(feature) ? "pm-deposit pm-selected" : "pm-deposit"
        }, look(feature)));
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var commodities = (p.commodities || "").split(";").filter(Boolean).join(", ");
        layer.bindTooltip(
          "<b>" + escapeHtml(p.name || text("unnamedDeposit", "(unnamed deposit)")) + "</b><br>" +
          escapeHtml(commodities || text("noCommodity", "no commodity recorded")) + " · " +
          escapeHtml((window.permitmapStatusWords || {})[p.status] || p.status)
        );
      }
    });
    // A plain LayerGroup: cluster clicks zoom in and do not reach Streamlit.
    var clusters = L.layerGroup();
    group.addLayer(points);
    group.addLayer(clusters);

    var info = L.control({position: "bottomright"});
    info.onAdd = function () {
      this._div = L.DomUtil.create("div", "pm-deposit-info");
      return this._div;
    };
    info.addTo(map);
    function say(text) { info._div.textContent = text; }

    function addCluster(feature) {
      var c = feature.geometry.coordinates, n = feature.properties.count;
      var size = Math.round(22 + 6 * Math.log10(n));
      var marker = L.marker([c[1], c[0]], {
        pane: pane,
        icon: L.divIcon({
          className: "pm-cluster", iconSize: [size, size],
          html: "<span>" + (n >= 10000 ? Math.round(n / 1000) + "k" : n) + "</span>"
        }),
        title: text("clusterTitle", "{n} deposits: click to zoom in", {n: n})
      });
      marker.on("click", function () { map.setView(marker.getLatLng(), map.getZoom() + 2); });
      clusters.addLayer(marker);
    }

    var controller = null, loads = 0;
    function refresh() {
      if (!map.hasLayer(group) || options.params === null) { return; }
      var started = performance.now();
      var params = new URLSearchParams(options.params);
      params.set("bbox", window.permitmapBboxParam(map));  // common.js
      params.set("zoom", String(map.getZoom()));
      if (controller) { controller.abort(); }
      controller = new AbortController();
      say(text("loadingDeposits", "Loading deposits…"));
      fetch(options.url + "?" + params.toString(), {signal: controller.signal, credentials: "same-origin"})
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) { throw new Error(body.error || response.statusText); }
            return body;
          });
        })
        .then(function (fc) {
          points.clearLayers();
          clusters.clearLayers();
          var view = map.getBounds(), west = view.getWest(), east = view.getEast();
          var centre = map.getCenter().lng;
          fc.features.forEach(function (f) {
            // A point outside the view's longitudes (a view across the 180th meridian) is
            // drawn on the world copy in view; points already in view stay where they are.
            var c = f.geometry.coordinates;
            if (c[0] < west || c[0] > east) {
              var copy = c[0] + 360 * Math.round((centre - c[0]) / 360);
              if (copy >= west && copy <= east) { c[0] = copy; }
            }
            if (f.properties.kind === "cluster") { addCluster(f); } else { points.addData(f); }
          });
          var m = fc.meta;
          say(text("depositsInView", "{shown} of {matching} deposits in view",
                   {shown: m.in_view.toLocaleString(), matching: m.matching.toLocaleString()}) +
              (m.mode === "clusters" ? text("grouped", " (grouped: zoom in for points)") : ""));
          loads += 1;
          window.permitmapDeposits = {loads: loads, ms: performance.now() - started, meta: m};
          map.getContainer().setAttribute("data-deposit-loads", String(loads));
        })
        .catch(function (err) {
          if (err.name !== "AbortError") {
            say(text("depositsFailed", "Deposits could not be loaded: {error}",
                     {error: err.message}));
          }
        });
    }
    // The deposit the page has open, ringed among the points already drawn (no request).
    function ring(chosen) {
      selected = chosen;
      points.eachLayer(function (marker) {
        marker.setStyle(look(marker.feature));
        var path = marker.getElement && marker.getElement();
        if (path) { path.classList.toggle("pm-selected", isChosen(marker.feature)); }
        if (isChosen(marker.feature)) { marker.bringToFront(); }
      });
    }
    // The page's filters change without rebuilding the map (sites.js): new parameters or a
    // new data revision, one new request; the same ones ask nothing; a new selection only
    // rings its deposit.
    map._pmDeposits = {
      setParams: function (params, chosen, dataRevision) {
        chosen = chosen === undefined || chosen === null ? null : String(chosen);
        dataRevision = dataRevision === undefined ? null : dataRevision;
        var same = JSON.stringify(params) === JSON.stringify(options.params);
        if (same && (revision === null || dataRevision === revision)) {
          revision = dataRevision;
          if (chosen !== selected) { ring(chosen); }
          return;
        }
        options.params = params;
        selected = chosen;
        revision = dataRevision;
        refresh();
      }
    };
    map.on("moveend", refresh);
    // "add" fires whether folium or the layer control puts the group on the map (folium adds
    // it after this script ran, so a map that never moves would otherwise never load).
    group.on("add", refresh);
    map.on("overlayremove", function (e) { if (e.layer === group) { say(text("depositsHidden", "Deposits hidden")); } });
    refresh();
  };
})();
