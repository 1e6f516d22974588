"""``python -m ordertrack`` runs the command-line interface."""

from ordertrack.cli import main

if __name__ == "__main__":
    main()
