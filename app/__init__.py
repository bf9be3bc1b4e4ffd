"""The running bot: its Discord client and command tree, the one access check, command sync,
logging, metrics and the health endpoint. `startup.compose` builds it."""
