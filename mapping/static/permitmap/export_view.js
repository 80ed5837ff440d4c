/* permitmap "Export this view": download links for the sites that match the page's filters
   inside the map's current view, in a chosen format, and for a briefing pack of that view.
   The extent is read in the browser whenever the view changes, so panning costs no rerun of
   the page; the server reads the same parameters as /api/sites.geojson. */
(function () {
  "use strict";

  var text = window.permitmapText;  // common.js
  function element(tag, className, parent, text) {
    var node = L.DomUtil.create(tag, className, parent);
    if (text) { node.textContent = text; }
    return node;
  }

  // How many of the map's sites lie inside the view box (deposits are not exported), by
  // their true positions (sites.js may spread markers that share one).
  function sitesInView(map, box) {
    var count = 0;
    map.eachLayer(function (layer) {
      var p = layer.feature && layer.feature.properties;
      if (!p || p.kind !== "site" || !layer.getLatLng) { return; }
      var c = layer.feature.geometry.coordinates;
      if (window.permitmapBoxContains(box, c[0], c[1])) { count += 1; }  // common.js
    });
    return count;
  }

  // ``open``: unfolded from the start (the control replaced while the user had it open).
  window.permitmapExportView = function (map, options, open) {
    var control = L.control({position: "topright"});
    control.onAdd = function () {
      var box = element("div", "pm-export-view");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      // Folded to its title, which opens it (a click, or the pointer over it): the map's
      // corners stay clear for the map.
      var title = element("button", "pm-export-title", box,
                          text("exportView", "Export this view"));
      title.type = "button";
      box.classList.toggle("pm-open", Boolean(open));
      title.setAttribute("aria-expanded", String(Boolean(open)));
      title.addEventListener("click", function () {
        title.setAttribute("aria-expanded", String(box.classList.toggle("pm-open")));
      });
      var body = element("span", "pm-export-body", box);
      if (options.unavailable) {
        element("span", "pm-export-note", body, options.unavailable);
        return box;
      }
      var select = element("select", "pm-export-format", body);
      select.setAttribute("aria-label", text("exportFormat", "Export format"));
      options.formats.forEach(function (format) {
        var option = element("option", "", select, format.label);
        option.value = format.suffix;
      });
      var file = element("a", "pm-export-file", body, text("download", "Download"));
      file.title = text("downloadTitle",
                        "The sites matching the filters inside the map's current view");
      var pack = element("a", "pm-export-pack", body, text("briefingPack", "Briefing pack"));
      pack.title = text("briefingTitle",
                        "A zip of these sites with their timetables, changes and a map picture");
      [file, pack].forEach(function (link) { link.setAttribute("download", ""); });

      function update() {
        var params = new URLSearchParams(options.params), view = window.permitmapViewBox(map);
        var n = sitesInView(map, view);
        title.textContent = n === 1 ? text("exportViewOne", "Export this view (1 site)")
          : text("exportViewCount", "Export this view ({n} sites)", {n: n});
        params.set("bbox", window.permitmapBboxParam(map));  // common.js
        var query = "?" + params.toString();
        file.href = options.sitesUrl + "." + select.value + query;
        pack.href = options.briefingUrl + query;
      }
      map.on("moveend", update);
      control.onRemove = function () { map.off("moveend", update); };
      select.addEventListener("change", update);
      update();
      return box;
    };
    control.addTo(map);
    return control;
  };
})();
