from __future__ import annotations

from app.core.forms import Form


class MailActionForm(Form):
    """Send again, or dismiss, a message on the city admin's list: nothing but the CSRF token."""
