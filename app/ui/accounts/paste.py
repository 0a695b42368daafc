"""Asks for the address the browser landed on after the Fyers login, when the redirect URL
is not one Tradedesk can catch itself (not http://127.0.0.1 or localhost)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget


class PasteUrlDialog(QDialog):
    def __init__(self, auth_url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fyers login")
        layout = QVBoxLayout(self)
        text = QLabel(
            "Log in on the page that opened in your browser. When it sends you to your "
            "redirect address, copy that whole address from the browser and paste it here.",
            self,
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        link = QLabel(f'<a href="{auth_url}">Open the login page again</a>', self)
        link.setOpenExternalLinks(True)
        layout.addWidget(link)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("pastedUrl")
        self.edit.setPlaceholderText("https://…?auth_code=…")
        layout.addWidget(self.edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def url(self) -> str:
        return self.edit.text().strip()
