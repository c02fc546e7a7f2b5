"""Scoped dashboard figures and reports; importing this registers each report's exporter."""

from inventory.reports import count_variances  # noqa: F401  (registers the count variance exporter)
from inventory.reports.base import Column, Page, Report, Summary
from inventory.reports.dashboard import DashboardFigures, dashboard_figures
from inventory.reports.ledger import MovementLedgerReport
from inventory.reports.stock import ReorderSuggestionsReport, StockOnHandReport
from inventory.reports.valuation import ValuationReport

REPORTS: dict[str, type[Report]] = {
    report.name: report
    for report in (StockOnHandReport, ReorderSuggestionsReport, ValuationReport, MovementLedgerReport)
}

__all__ = [
    "REPORTS",
    "Column",
    "DashboardFigures",
    "MovementLedgerReport",
    "Page",
    "ReorderSuggestionsReport",
    "Report",
    "StockOnHandReport",
    "Summary",
    "ValuationReport",
    "dashboard_figures",
]
