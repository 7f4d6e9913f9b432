"""The IT restoration plan: milestones, alerts, the morning briefing."""
