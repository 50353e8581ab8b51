"""Streamlit helpers for app.py: the recipe editor, the workload, the compare tab, export/import.

Only this package and app.py import Streamlit. Modules here that do not (``format``) are plain
functions the tests call directly.
"""
