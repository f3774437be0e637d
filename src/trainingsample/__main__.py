"""``python -m trainingsample``: the command line (see ``trainingsample.cli``)."""
from .cli import console

if __name__ == "__main__":
    console()
