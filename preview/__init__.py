"""A preview without Discord: `python -m preview [--out FOLDER]` runs the real bot against the
loopback Discord and useapi.net stand-ins (testbed/) with sample accounts, types the commands a
server manager would, waits for the alerts, and writes a text file and a picture of everything
Discord would show (docs/preview.md). No tokens, no network, nothing of the user's data/."""
