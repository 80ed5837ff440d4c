"""Every session-state and widget key, named once."""

from urllib.parse import quote

from domain import i18n

SEARCH = "f_search"
COMMODITIES = "f_commodity"
STAGES = "f_stage"
STATUSES = "f_status"
COUNTRIES = "f_country"
JOINTLY_SELECTED = "f_joint"
COLOUR_BY = "f_colour"
SHOW_DEPOSITS = "f_deposits"
SELECTED = "selected_feature"
LAST_CLICK = "last_map_click"  # (feature, the map's click count) last taken from the map
URL_SELECTION = "url_selection"  # the selection the map page left in the URL
CURRENT_PAGE = "current_page"  # the url_path of the page this run shows
PREVIOUS_PAGE = "previous_page"  # and of the page the run before showed
SELECTION_KINDS = ("site", "deposit")  # also the URL parameters of the selection
PICKER = "site_picker"
URL_LOADED = "url_state_loaded"
MAP = "site_map"

# widget key -> query-parameter name in the page URL (shareable links). The filters are
# spelled as /api/sites.* and `permitmap export sites` take them (sites.selection.PARAMETERS):
# several values in one parameter, comma-separated.
URL_PARAMS = {
    SEARCH: "q",
    COMMODITIES: "commodity",
    STAGES: "stage",
    STATUSES: "status",
    COUNTRIES: "country",
    JOINTLY_SELECTED: "jointly_selected",
    COLOUR_BY: "colour",
    SHOW_DEPOSITS: "deposits",
}
OLD_URL_PARAMS = {"joint": "jointly_selected"}  # links shared before: still open, rewritten

# the shared "View as of" date (kept across pages) and its sidebar widget
AS_OF = "as_of_date"
AS_OF_INPUT = "as_of_input"
AS_OF_PARAM = "as_of"  # query-parameter name, YYYY-MM-DD
# the site timeline page
TIMELINE_SITE = "timeline_site"
TIMELINE_URL_SITE = "timeline_url_site"  # the ?site= value last taken from the URL
SITE_PARAM = "site"


def map_link(site_id: str) -> str:
    """A link to the map with ``site_id`` opened (centred, ringed, its panel open), relative
    to a page at the app's top level (the map is the app's root)."""
    return f"./?{SITE_PARAM}={quote(site_id)}"

# the milestone edit form
EDIT_MILESTONE = "edit_milestone"
EDIT_VERSIONS = "edit_versions"  # milestone id -> version read when its form was first drawn
EDIT_NOTICE = "edit_notice"  # message shown after the rerun that follows a save
EDIT_ROUNDS = "edit_rounds"  # milestone id -> saves so far: a new round gets fresh widgets
EDITOR_NAME = "editor_name"  # remembered across pages and forms
# the timeline's "lay out a procedure from a template" form
PROCEDURE_PROJECT, PROCEDURE_TEMPLATE = "procedure_project", "procedure_template"
PROCEDURE_TITLE, PROCEDURE_START = "procedure_title", "procedure_start"
PROCEDURE_AGENCY, PROCEDURE_ADD = "procedure_agency", "procedure_add"
PROCEDURE_ADDED = "procedure_added"  # the notice after adding, shown on the next run
EDIT_FIELDS = ("current_target", "alternative_completion", "baseline_target",
               "actual_completion", "complete", "not_applicable", "reason_choice",
               "reason_text", "extension", "who")


def edit_key(milestone_id: str, field: str, round_: int) -> str:
    """The widget key of one field of one milestone's edit form in one round (a saved change
    starts the next round, so the browser drops what was typed and shows the stored values)."""
    return f"edit_{field}_{milestone_id}_{round_}"


# the interface's language (domain.i18n), kept in the URL as ?lang=ja
LANGUAGE = "language"
LANG_PARAM = i18n.LANG_PARAM

# the portfolio page
PORTFOLIO_GROUP = "portfolio_group"
# the chokepoints page
CHOKEPOINT_REGION = "chokepoint_region"
CHOKEPOINT_PROJECTED = "chokepoint_projected"
# the cross-walk page
CROSSWALK_STATUS = "crosswalk_status"
CROSSWALK_KIND = "crosswalk_kind"
CROSSWALK_EDITOR = "crosswalk_editor"
CROSSWALK_POSITION = "crosswalk_position"

# the action status form
ACTION_EDIT = "action_edit"
ACTION_VERSIONS = "action_versions"  # action id -> version read when its form was first drawn
ACTION_NOTICE = "action_notice"
ACTION_ROUNDS = "action_rounds"


def action_key(action_id: str, field: str, round_: int) -> str:
    """The widget key of one field of one action's form in one round (see ``edit_key``)."""
    return f"action_{field}_{action_id}_{round_}"

# survey layer uploads and the layer catalog
UPLOAD_FILE = "upload_file"
UPLOAD_REPORTS = "upload_reports"  # (file id, options) -> pre-flight report
UPLOAD_LAYERS = "upload_layers"
UPLOAD_CRS = "upload_crs"
UPLOAD_CRS_TEXT = "upload_crs_text"
UPLOAD_REPAIR = "upload_repair"
UPLOAD_DROP = "upload_drop_out_of_range"
UPLOAD_XY = "upload_xy"
UPLOAD_NOTICE = "upload_notice"  # what the last publish did, shown after its rerun
LAYER_FOCUS = "layer_focus"  # (layer name, bounds) the map zooms to


def layer_key(layer_id: str, field: str, version: int) -> str:
    """A catalog widget's key for one layer at one version (a saved change starts fresh)."""
    return f"layer_{field}_{layer_id}_{version}"

# site exports (a prepared file waits in the session until downloaded or the choice changes)
EXPORT_FORMAT = "export_format"
EXPORT_GRIDS = "export_grids"  # raster layer ids whose values become export columns
EXPORT_CRS = "export_crs"  # the chosen output coordinate system (an EPSG code)
EXPORT_READY = "export_ready"  # place -> ((selection, format, grids, data version), file)
BRIEFING_READY = "briefing_ready"  # place -> ((selection, data version), pack zip)

# the editor's handling-marking control on a site's timeline page
MARK_TARGET = "mark_target"
MARK_CODE = "mark_code"
MARK_DONE = "mark_done"
# the map's view requests (mapping.parts.map_view)
VIEW_REQUEST = "map_view_request"
VIEW_COUNT = "map_view_count"
VIEW_FILTER = "map_view_filter"
VIEW_FOCUS = "map_view_focus"
VIEW_TARGET = "map_view_target"
# the layer catalog's sampling section (fields of keys.layer_key: one set per layer version)
SAMPLE_SHOW = "sample_show"  # the switch that reads the layer at the places
SAMPLE_AT = "sample_at"  # sites or deposits
SAMPLE_RADIUS = "sample_radius"  # a raster's statistics within this many km
SAMPLE_WITHIN = "sample_within"  # or within the polygons of this layer
SAMPLE_DISTANCE = "sample_distance"  # a vector layer's features within this many km
SAMPLE_DOWNLOAD = "sample_download"  # the table as CSV (audited when clicked)
