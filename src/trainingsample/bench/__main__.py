"""``python -m trainingsample.bench``: the project benchmark."""
import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
