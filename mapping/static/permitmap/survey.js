/* permitmap survey layers: a vector layer's features are fetched from the app once the layer
   is shown (a large layer: per map view, like the deposits); popups arrive as HTML escaped by
   the server. Raster layers are plain tile layers. */
(function () {
  "use strict";
  var escapeHtml = window.permitmapEscape;  // common.js

  window.permitmapSurveyLayer = function (map, group, options) {
    var loaded = false, controller = null;
    var layer = L.geoJSON(null, {
      style: function () {
        return {color: options.colour, weight: options.weight, fillColor: options.colour,
                fillOpacity: options.fillOpacity, className: "pm-survey"};
      },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {radius: 5, className: "pm-survey"});
      },
      onEachFeature: function (feature, item) {
        if (feature.properties && feature.properties.popup) {
          item.bindPopup(feature.properties.popup, {maxWidth: 360});
        }
      }
    });
    group.addLayer(layer);

    function url() {
      if (!options.perView) { return options.url; }
      return options.url + "&bbox=" + window.permitmapBboxParam(map);  // common.js
    }

    function load() {
      if (!map.hasLayer(group) || (loaded && !options.perView)) { return; }
      loaded = true;
      if (controller) { controller.abort(); }
      controller = new AbortController();
      fetch(url(), {signal: controller.signal, credentials: "same-origin"})
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) { throw new Error(body.error || response.statusText); }
            return body;
          });
        })
        .then(function (fc) {
          layer.clearLayers();
          layer.addData(fc);
          var done = Number(map.getContainer().getAttribute("data-survey-loads") || "0") + 1;
          map.getContainer().setAttribute("data-survey-loads", String(done));
        })
        .catch(function (err) {
          if (err.name === "AbortError") { return; }
          loaded = false;
          L.popup().setLatLng(map.getCenter())
            .setContent(window.permitmapText("layerFailed",
                                             "Layer {name} could not be loaded: {error}",
                                             {name: escapeHtml(options.name),
                                              error: escapeHtml(err.message)}))
            .openOn(map);
        });
    }
    // "add" fires whether folium or the layer control puts the group on the map (folium adds
    // it after this script ran).
    group.on("add", load);
    if (options.perView) { map.on("moveend", load); }
    load();
  };
})();
