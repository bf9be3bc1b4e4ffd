"""Pure rendering: dataclasses from minimax_api to Discord embeds and terminal text. No I/O."""
