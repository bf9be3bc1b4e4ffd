"""One thin cog per feature, wiring Discord to it; `startup.compose` builds each with its
collaborators and the client adds them when it starts."""
