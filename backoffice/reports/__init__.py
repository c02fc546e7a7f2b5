"""Report screens: the inventory reports rendered as admin pages, with permalinks and exports."""
