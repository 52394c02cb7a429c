"""Classify: sentiment, urgency, topic and spam for each mention, a batch at a time."""
