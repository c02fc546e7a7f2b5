"""The admin home page."""


def dashboard_callback(request, context: dict) -> dict:
    """Fill the dashboard context (KPIs and charts arrive with the reports issue)."""
    return context
