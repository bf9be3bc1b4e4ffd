"""How the alerts look: outbox notices to embeds, `/alerts status` and `/alerts rules`
answers. Pure: data in, embeds and text out."""
