from .cli import cli

cli(prog_name=__package__)
