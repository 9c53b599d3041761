"""Outreach reports: who was written to, who answered, how fast, with what outcome.

document   build(): the report as one JSON-able document (the unit, the scope, the two ways of counting)
kept       its parts from the totals kept up to date (summary), for the open cases or all of them
counted    its parts counted from the letters, for any filters
outside    unsolicited answers, and the states held back
figures    rates, medians, days
tables     the document's tables as plain rows (CSV, terminal)
summary    the totals kept up to date by triggers and recounts
html       the HTML page with its world map
"""
