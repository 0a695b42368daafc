"""The bot manager panel: the list of bots with their state and stats, the create/edit
dialog, and the selected bot's log and P&L curve."""
