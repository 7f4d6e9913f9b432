"""The crisis record: activity log and situation report."""
