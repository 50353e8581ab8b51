"""Measurement and comparison of decoder recipes. Imports model/, never Streamlit."""

# The version written into exported files, so a file names the tool that wrote it.
__version__ = "0.1.0"
