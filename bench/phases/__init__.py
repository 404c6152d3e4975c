"""One module per phase of bench/run.py; each adds its rows and goals to the Report."""
