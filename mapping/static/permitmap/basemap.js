/* permitmap offline basemap: Natural Earth country outlines served by the app itself,
   coarse (1:110m) when zoomed out, detailed (1:50m) from options.detailZoom, where the
   optional border lines of options.urls.lines (US state lines) are drawn over them. */
(function () {
  "use strict";
  window.permitmapBasemap = function (map, group, options) {
    // Its own pane under every overlay (tiles are 200), so land never hides a marker.
    var pane = "pmBasemap";
    if (!map.getPane(pane)) { map.createPane(pane).style.zIndex = 150; }
    var styles = {
      land: {color: "#8c8c8c", weight: 0.7, fillColor: "#f3f0e8", fillOpacity: 1},
      lines: {color: "#9a9a9a", weight: 0.6, dashArray: "2 3", fill: false}
    };
    var loaded = {}, pending = {}, current = null;
    function load(name) {  // fetched once, then kept
      if (loaded[name] || pending[name] || !options.urls[name]) { return; }
      pending[name] = true;
      fetch(options.urls[name], {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (geojson) {
          loaded[name] = L.geoJSON(geojson, {
            style: name === "lines" ? styles.lines : styles.land,
            interactive: false, pane: pane
          });
          update();
        })
        .catch(function () { pending[name] = false; });
    }
    function update() {
      var detail = map.getZoom() >= options.detailZoom;
      var name = detail ? "detail" : "coarse";
      load(name);
      if (detail) { load("lines"); }
      if (!loaded[name]) { return; }  // keep what is shown until the outlines arrive
      var lines = detail && loaded.lines ? loaded.lines : null;
      var key = name + (lines ? "+lines" : "");
      if (current === key) { return; }
      group.clearLayers();
      group.addLayer(loaded[name]);
      loaded[name].bringToBack();
      if (lines) { group.addLayer(lines); }
      current = key;
    }
    map.on("zoomend", update);
    update();
  };
})();
