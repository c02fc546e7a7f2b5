"""Dates and times as Stockroom shows them: a time always says its time zone (settings.TIME_ZONE)."""

DATETIME_FORMAT = "j M Y, H:i T"  # 4 Dec 2026, 18:49 UTC
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i T"
