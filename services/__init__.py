"""Work that joins the store and the rest: publishing, exports, briefings, the record on a date."""
