"""How usage looks: the /usage and digest embeds and the chart PNG. Pure: data in, embeds and
bytes out."""
