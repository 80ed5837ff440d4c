/* permitmap: what our map scripts share (the deposits layer, the survey layers, the export
   control), each written once:
   - the map's view as the app's routes take a bbox (domain/bbox.py): west,south,east,north
     within -180..180, west > east when the view spans the 180th meridian (the map repeats the
     world, so a view may run past it either way), and whether such a box holds a point: the
     one place the browser splits a view at the meridian;
   - HTML escaping of any value put into a popup or a message (Leaflet shows them as HTML);
   - the words shown, in the page's language;
   - st_folium's click count started where the page expects it. */
(function () {
  "use strict";
  var ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
  window.permitmapEscape = function (value) {
    var text = value === null || value === undefined ? "" : String(value);
    return text.replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  };
  // A word of the page's language (mapping/webmap/map_texts.py, sent with the sites), else
  // the English given here; "{name}" fields filled from ``values``.
  window.permitmapText = function (key, english, values) {
    var text = (window.permitmapTexts && window.permitmapTexts[key]) || english;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  };
  window.permitmapViewBox = function (map) {
    var b = map.getBounds(), west = b.getWest(), east = b.getEast();
    var south = Math.max(b.getSouth(), -90), north = Math.min(b.getNorth(), 90);
    if (east - west >= 360) {
      return [-180, south, 180, north];
    }
    var start = ((west + 180) % 360 + 360) % 360 - 180;
    var end = start + (east - west);
    return [start, south, end > 180 ? end - 360 : end, north];
  };
  window.permitmapBoxContains = function (box, lon, lat) {
    var across = box[0] > box[2];
    var inLon = across ? (lon >= box[0] || lon <= box[2]) : (lon >= box[0] && lon <= box[2]);
    return inLon && lat >= box[1] && lat <= box[3];
  };
  window.permitmapBboxParam = function (map) {
    return window.permitmapViewBox(map).map(function (n) { return n.toFixed(5); }).join(",");
  };

  // st_folium counts clicks on features from 0, where the page's default (what it compares
  // against before sending) says None: run in the map's own script, before st_folium's
  // first report, this starts the count at None, so loading the map reruns no page
  // (map_page.py reads the count: a marker clicked again after its panel was closed).
  window.permitmapCountClicksFromNone = function () {
    var data = window.__GLOBAL_DATA__;
    if (data && data.last_object_clicked_count === 0) { data.last_object_clicked_count = null; }
  };
})();
