"""Sample studies for the demo (``scripts/demo.sh``), made with pydicom: never imported by the plugin."""
