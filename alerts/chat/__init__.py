"""The alerts in Discord: the channel that posts what the delivery hands it, the messages
composed for it, the buttons and menu on them, the checks loop and who leads it."""
