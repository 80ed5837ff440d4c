/* permitmap offline basemap: Natural Earth country outlines served by the app itself,
   coarse (1:110m) when zoomed out, detailed (1:50m) from options.detailZoom. */
(function () {
  "use strict";
  window.permitmapBasemap = function (map, group, options) {
    // Its own pane under every overlay (tiles are 200), so land never hides a marker.
    var pane = "pmBasemap";
    if (!map.getPane(pane)) { map.createPane(pane).style.zIndex = 150; }
    var style = {color: "#8c8c8c", weight: 0.7, fillColor: "#f3f0e8", fillOpacity: 1};
    var loaded = {}, pending = {}, current = null;
    function show(name) {
      if (current === name) { return; }
      group.clearLayers();
      group.addLayer(loaded[name]);
      loaded[name].bringToBack();
      current = name;
    }
    function update() {
      var name = map.getZoom() >= options.detailZoom ? "detail" : "coarse";
      if (loaded[name]) { show(name); return; }
      if (pending[name]) { return; }
      pending[name] = true;
      fetch(options.urls[name], {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (geojson) {
          loaded[name] = L.geoJSON(geojson, {style: style, interactive: false, pane: pane});
          update();
        })
        .catch(function () { pending[name] = false; });
    }
    map.on("zoomend", update);
    update();
  };
})();
