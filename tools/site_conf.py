"""Sphinx configuration of the course website.

Copied to build/site-src/conf.py by tools/site.py.
"""

project = "Transformers & Attention, proven by experiment"
author = "the course authors"
copyright = "2026, the course authors"  # noqa: A001 (Sphinx's name)
extensions = ["myst_nb"]
exclude_patterns = ["_build"]
html_theme = "sphinx_book_theme"
html_title = "Attention & Transformers"
html_static_path = ["_static"]
html_theme_options = {
    "show_navbar_depth": 1,
    "home_page_in_toc": True,
    "use_download_button": False,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None
myst_enable_extensions = ["dollarmath", "amsmath", "html_image"]
myst_heading_anchors = 3
# The notebooks are shown as they were executed and checked by nbval: never re-run here.
nb_execution_mode = "off"
nb_merge_streams = True
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]
# Everything the pages load is vendored under _static/vendor (see tools/site.py).
mathjax_path = "vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML"
# Sphinx marks the page "ignore math" and each formula class "math": typeset only those.
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "processEscapes": True,
        "ignoreClass": "document",
        "processClass": "math|output_area",
    }
}
nb_ipywidgets_js = {
    "vendor/requirejs/require.js": {},
    "site_widgets.js": {},  # where the widget renderer finds its fonts; names for its controls
    "vendor/html-manager/dist/embed-amd.js": {},
}
html_copy_source = False  # the notebooks are in the repository; the download button gives .ipynb
html_context = {"default_mode": "light"}  # no stored mode on a first visit: start light
html_favicon = "_static/favicon.svg"
