"""Measurement and comparison of decoder recipes. Imports model/, never Streamlit."""

# The version written into exported files, so a file says which tool made it.
__version__ = "0.1.0"
