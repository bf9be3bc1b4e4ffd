"""The usage report in Discord: read, forecast, chart drawn off the event loop, attached."""
