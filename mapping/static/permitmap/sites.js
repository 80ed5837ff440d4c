/* permitmap project sites: drawn into the map that is already there, whenever the page's
   filters, colouring or selection change (st_folium evaluates this layer again without
   rebuilding the map), together with what follows the filters: the legend, the deposit
   layer's filter, the "Export this view" control, and the view the page asks for.

   - Sites that would cover one another at the current zoom (one position, or neighbours
     seen from afar) are spread on a small ring, each with a leg to its true place, so each
     can be hovered and clicked at any zoom.
   - The selected site is ringed and drawn on top.
   - A view request (fit to the matching sites, to a survey layer, or go to the selected
     site) is applied once: it carries a token, and the map remembers the last one applied,
     so a rerun that asks nothing new leaves the user's pan and zoom alone. */
(function () {
  "use strict";
  var SPREAD_PX = 16;   // ring radius for markers that would cover one another
  var OVERLAP_PX = 14;  // centres closer than this: the markers (radius 8) overlap
  var MAX_SPREAD = 8;   // at most this many on one ring
  var PANE = "pmSites";

  // Where the i-th of n markers that would cover one another goes, in pixels from their
  // middle: on a ring when they fit on one, else on a spiral whose turns stand a marker
  // apart (as Leaflet.markercluster spreads a cluster).
  function spreadOffset(i, n) {
    var angle, radius;
    if (n <= MAX_SPREAD) {
      angle = -Math.PI / 2 + 2 * Math.PI * i / n;
      radius = SPREAD_PX + 2 * (n - 2);
    } else {
      angle = 0.9 * Math.sqrt(i + 1) * Math.PI;  // about one marker's width along the arm
      radius = SPREAD_PX + 3.2 * angle;
    }
    return L.point(radius * Math.cos(angle), radius * Math.sin(angle));
  }

  function oneSpot(markers) {
    var first = markers[0]._pmAt;
    return markers.every(function (marker) { return marker._pmAt.equals(first, 1e-7); });
  }

  function drawSites(map, group, options) {
    if (!map.getPane(PANE)) { map.createPane(PANE).style.zIndex = 410; }
    var legs = L.layerGroup().addTo(group);
    var markers = [];
    var layer = L.geoJSON(options.features, {
      pointToLayer: function (feature, latlng) {
        var p = feature.properties, selected = p.id === options.selected;
        var marker = L.circleMarker(latlng, {
          pane: PANE, radius: selected ? 11 : 8, weight: selected ? 4 : 2,
          color: selected ? "#0b57d0" : "#222222", fillColor: p.colour,
          fillOpacity: p.approximate ? 0.55 : 0.95,
          dashArray: p.approximate && !selected ? "3 3" : null,
          className: "pm-site" + (selected ? " pm-selected" : "")
        });
        marker._pmAt = latlng;  // the true position; the marker may be spread off it
        markers.push(marker);
        return marker;
      },
      onEachFeature: function (feature, marker) {
        marker.bindTooltip(feature.properties.tip, {direction: "top", sticky: false});
        marker.on("mouseover", function () { marker.setStyle({weight: 4}); });
        marker.on("mouseout", function () {
          marker.setStyle({weight: feature.properties.id === options.selected ? 4 : 2});
        });
      }
    });
    group.addLayer(layer);

    // Markers that would cover one another at this zoom (centres closer than OVERLAP_PX)
    // are spread on a ring round their middle, each with a leg to its true place; zoomed
    // in far enough, they stand apart on their own and sit where they are.
    function spread() {
      legs.clearLayers();
      var groups = [];
      markers.forEach(function (marker) {
        var point = map.latLngToLayerPoint(marker._pmAt), group = null;
        for (var k = 0; k < groups.length && !group; k += 1) {
          if (groups[k].centre.distanceTo(point) < OVERLAP_PX) { group = groups[k]; }
        }
        if (!group) { groups.push({centre: point, sum: point, members: [marker]}); return; }
        group.members.push(marker);
        group.sum = group.sum.add(point);
        group.centre = group.sum.divideBy(group.members.length);
      });
      groups.forEach(function (group) {
        var n = group.members.length;
        // one marker stands alone; a crowd (a whole region seen from afar) stays put: the
        // user zooms in to it, and smaller groups form there. Sites at one spot never
        // part by zooming: however many, they are spread (a spiral when a ring would crowd).
        if (n < 2 || (n > MAX_SPREAD && !oneSpot(group.members))) {
          group.members.forEach(function (marker) { marker.setLatLng(marker._pmAt); });
          return;
        }
        group.members.forEach(function (marker, i) {
          var at = map.layerPointToLatLng(group.centre.add(spreadOffset(i, n)));
          marker.setLatLng(at);
          legs.addLayer(L.polyline([marker._pmAt, at], {
            pane: PANE, weight: 1, color: "#222222", opacity: 0.7, interactive: false
          }));
        });
      });
    }
    spread();
    map.on("zoomend", spread);
    // st_folium keeps every replaced group in window.feature_group: let go of this one's
    // markers (and the list's entry) when it is replaced, or memory grows all day
    group.on("remove", function () {
      map.off("zoomend", spread);
      group.clearLayers();
      if (Array.isArray(window.feature_group)) {
        window.feature_group = window.feature_group.filter(function (g) { return g !== group; });
      }
    });
    markers.forEach(function (marker) {
      if (marker.feature.properties.id === options.selected) { marker.bringToFront(); }
    });
    return markers;
  }

  function setLegend(map, html) {
    if (!map._pmLegend) {
      var legend = L.control({position: "bottomright"});
      legend.onAdd = function () {
        var div = L.DomUtil.create("div", "pm-legend");
        L.DomEvent.disableClickPropagation(div);
        return div;
      };
      legend.addTo(map);
      map._pmLegend = legend;
    }
    var div = map._pmLegend.getContainer();
    var open = div.querySelector("details");
    div.innerHTML = html;  // built and escaped in Python (site_map.legend_html)
    var details = div.querySelector("details");
    if (!details) { return; }
    if (open) {
      details.open = open.open;  // as the user left it
    } else {  // first drawn: folded where it would cover much of a small map
      var size = map.getSize();
      details.open = size.x >= 900 && size.y >= 640;
    }
  }

  function setExport(map, exportOptions) {
    if (!window.permitmapExportView) { return; }
    var key = JSON.stringify(exportOptions);
    if (map._pmExportKey === key) { return; }
    var open = false;  // as the user left it: new filters do not fold it
    if (map._pmExportControl) {
      open = map._pmExportControl.getContainer().classList.contains("pm-open");
      map.removeControl(map._pmExportControl);
    }
    map._pmExportControl = window.permitmapExportView(map, exportOptions, open);  // export_view.js
    map._pmExportKey = key;
  }

  // The parent window's size (the page's; the map's iframe is part of it).
  function windowSize() {
    try { return {x: window.parent.innerWidth, y: window.parent.innerHeight}; }
    catch (e) { return {x: window.innerWidth, y: window.innerHeight}; }  // another origin
  }

  // Where the panel covers the map, as the page's style places it (mapping/parts/
  // map_layout.py): on the right, at most its share of the window's width; in a narrow
  // window (a phone), along the bottom, at most its share of the height.
  function panelRoom(options) {
    if (!options || !options.panelWidth) { return {right: 0, bottom: 0}; }
    var size = windowSize();
    if (size.x < options.panelBelowPx) {
      return {right: 0, bottom: options.panelBelowShare * size.y};
    }
    return {right: Math.min(options.panelWidth, options.panelShare * size.x), bottom: 0};
  }

  function applyView(map, view, markers, room) {
    if (!view || !view.token || map._pmViewToken === view.token) { return; }
    if (map._animatingZoom) {  // a zoom still animating (the user's wheel): after it
      map.once("zoomend", function () { applyView(map, view, markers, room); });
      return;
    }
    map._pmViewToken = view.token;
    var pad = {paddingTopLeft: [40, 40],
               paddingBottomRight: [40 + room.right, 40 + room.bottom]};
    if (view.kind === "site") {
      var zoom = Math.max(map.getZoom(), view.zoom);
      map.setView([view.lat, view.lon], zoom, {animate: false});
      if (room.right || room.bottom) {  // keep the site clear of the detail panel
        map.panBy([room.right / 2, room.bottom / 2], {animate: false});
      }
    } else if (view.kind === "bounds" && view.bounds) {
      map.fitBounds(view.bounds, L.extend({maxZoom: view.maxZoom, animate: false}, pad));
    }
  }

  // The page sizes the map's iframe to the window after Leaflet measured it (the style
  // sheet arrives later); Leaflet learns every change of its container's size here, and
  // the room kept for the panel follows the window's width.
  function followSize(map) {
    if (map._pmSized || !window.ResizeObserver) { return; }
    map._pmSized = true;
    new ResizeObserver(function () {
      map.invalidateSize({pan: false});
      setPanel(map, map._pmPanelOptions);
    }).observe(map.getContainer());
  }

  // The panel's room over the map (none when closed): the map's right-hand controls move
  // clear of it (map.css reads --pm-panel). Returns it in pixels.
  function setPanel(map, options) {
    var container = map.getContainer(), room = panelRoom(options);
    container.classList.toggle("pm-panel-open", room.right > 0);
    container.style.setProperty("--pm-panel", room.right + "px");
    return room;
  }

  // A line at the map's bottom middle while nothing is open (text, never HTML).
  function setHint(map, text) {
    var container = map.getContainer(), hint = container.querySelector(".pm-hint");
    if (!hint) {
      hint = L.DomUtil.create("div", "pm-hint", container);
      hint.setAttribute("role", "note");
    }
    hint.textContent = text || "";
    hint.style.display = text ? "" : "none";
  }

  window.permitmapSites = function (map, group, options) {
    var container = map.getContainer();
    map._pmPanelOptions = options;
    window.permitmapTexts = options.texts || {};  // read by permitmapText (common.js)
    window.permitmapStatusWords = options.statusWords || {};  // the deposits' statuses
    followSize(map);
    setHint(map, options.hint);
    var room = setPanel(map, options);
    var markers = drawSites(map, group, options);
    setLegend(map, options.legend);
    if (map._pmDeposits) {
      map._pmDeposits.setParams(options.depositParams, options.selectedDeposit,
                                options.dataRevision);
    }
    // st_folium adds the group to the map after this script: what counts or frames the
    // sites on the map waits for that
    function onMap() {
      setExport(map, options.exportView);
      applyView(map, options.view, markers, room);
      var updates = Number(container.getAttribute("data-site-updates") || "0") + 1;
      container.setAttribute("data-site-updates", String(updates));
      container.setAttribute("data-selected", options.selected || "");
      container.setAttribute("data-selected-deposit", options.selectedDeposit || "");
    }
    if (map.hasLayer(group)) { onMap(); } else { group.once("add", onMap); }
  };
})();
