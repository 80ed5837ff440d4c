"""permitmap in a checkout: ``streamlit run app.py`` (``permitmap serve`` runs the packaged
``mapping/serve.py``, the same app). Wires the HTTP routes and the sign-in gate (middleware)
to the page router; nothing else."""

from pathlib import Path

import streamlit as st

from mapping.web.auth_routes import streamlit_secrets
from mapping.web.routes import EXCEPTION_HANDLERS, MIDDLEWARE, ROUTES, lifespan

app = st.App(Path(__file__).resolve().parent / "mapping" / "main.py", routes=ROUTES,
             middleware=MIDDLEWARE, lifespan=lifespan, exception_handlers=EXCEPTION_HANDLERS,
             secrets=streamlit_secrets())
