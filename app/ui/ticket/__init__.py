"""The order ticket (widget) and the Qt-free form logic behind it."""

from app.ui.ticket.widget import OrderTicket

__all__ = ["OrderTicket"]
