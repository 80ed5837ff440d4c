"""Sites and deposits as tables: filters, the selection and its URL form, the index, importers."""
