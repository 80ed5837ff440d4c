"""permitmap: ``streamlit run app.py``. Wires the HTTP routes to the page router; nothing else."""

import streamlit as st

from mapping.web.routes import EXCEPTION_HANDLERS, ROUTES, lifespan

app = st.App("mapping/main.py", routes=ROUTES, lifespan=lifespan,
             exception_handlers=EXCEPTION_HANDLERS)
