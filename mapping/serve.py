"""The app's entry script, in a checkout and installed: ``permitmap serve`` runs
``streamlit run`` on this file. Wires the HTTP routes and the sign-in gate (middleware) to
the page router beside it; nothing else.

Streamlit finds the app by reading this file for an ``st.App(...)`` call, serves
``static/`` beside the page router at ``/app/static/``, and reads its settings from
``.streamlit/config.toml`` beside this file (shipped in the package). Its secrets: the
``[auth]`` section ``st.login`` needs, from the OpenID Connect settings file if one is set.
"""

from pathlib import Path

import streamlit as st

from mapping.web.auth_routes import streamlit_secrets
from mapping.web.routes import EXCEPTION_HANDLERS, MIDDLEWARE, ROUTES, lifespan

PAGE_ROUTER = Path(__file__).resolve().with_name("main.py")

app = st.App(PAGE_ROUTER, routes=ROUTES, middleware=MIDDLEWARE, lifespan=lifespan,
             exception_handlers=EXCEPTION_HANDLERS, secrets=streamlit_secrets())
