/* permitmap survey layers: a vector layer's features are fetched from the app once the layer
   is shown; popups arrive as HTML escaped by the server. Raster layers are plain tile layers. */
(function () {
  "use strict";
  window.permitmapSurveyLayer = function (map, group, options) {
    var loaded = false;
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
    function load() {
      if (loaded || !map.hasLayer(group)) { return; }
      loaded = true;
      fetch(options.url, {credentials: "same-origin"})
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) { throw new Error(body.error || response.statusText); }
            return body;
          });
        })
        .then(function (fc) {
          layer.addData(fc);
          var done = Number(map.getContainer().getAttribute("data-survey-loads") || "0") + 1;
          map.getContainer().setAttribute("data-survey-loads", String(done));
        })
        .catch(function (err) {
          loaded = false;
          L.popup().setLatLng(map.getCenter())
            .setContent("Layer " + window.permitmapEscape(options.name) +
                        " could not be loaded: " + window.permitmapEscape(err.message))
            .openOn(map);
        });
    }
    // folium adds the group to the map after this script has run (its addTo comes last), so
    // the first load() finds it off the map: load when the group is added, by folium or by
    // the layer control alike.
    group.on("add", load);
    load();
  };
})();
