"""The running bot: its Discord client and command tree, the one access check, command sync,
logging, metrics and the health endpoint, and the composition root that builds every
long-lived object once (`compose`)."""
