"""ModelAdmins, registered on the Stockroom site when the app loads."""

from backoffice.admin import access, accounts, catalog, counts, jobs, purchasing, security, stock, transfers  # noqa: F401
