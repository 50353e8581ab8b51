"""Measurement and comparison of decoder recipes. Imports model/, never Streamlit."""
