"""Every session-state and widget key, named once."""

SEARCH = "f_search"
COMMODITIES = "f_commodity"
STAGES = "f_stage"
STATUSES = "f_status"
COUNTRIES = "f_country"
JOINTLY_SELECTED = "f_joint"
COLOUR_BY = "f_colour"
SHOW_DEPOSITS = "f_deposits"
SELECTED = "selected_feature"
LAST_CLICK = "last_map_click"
SELECTION_KINDS = ("site", "deposit")  # also the URL parameters of the selection
PICKER = "site_picker"
URL_LOADED = "url_state_loaded"
MAP = "site_map"

# widget key -> query-parameter name in the page URL (shareable links)
URL_PARAMS = {
    SEARCH: "q",
    COMMODITIES: "commodity",
    STAGES: "stage",
    STATUSES: "status",
    COUNTRIES: "country",
    JOINTLY_SELECTED: "joint",
    COLOUR_BY: "colour",
    SHOW_DEPOSITS: "deposits",
}
