"""Real loopback stand-ins for the tests and the benchmarks: Discord (`discord_stub`),
useapi.net (`upstream`), a throw-away PostgreSQL server (`postgres`), the bot as a child
process (`process`, through `launch_bot.py`) and waiting on what they saw (`waiting`).

Nothing here is a mock of our own code: each is a real server or process the unmodified bot
talks to. Product code never imports this package (`lint-imports` checks it)."""
