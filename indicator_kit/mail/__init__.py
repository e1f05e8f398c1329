"""mail: drafts with each agency's template, reminders, correction requests, and sending."""
