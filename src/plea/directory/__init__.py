"""The embassy directory: every mission a letter can go to, and everything about it.

queries      the columns and kinds, what a person edited, closed missions, listing (Core rows, no ORM)
validation   checking one mission's values, and their stored form
importing    CSV files of missions into the directory (`embassies import`, the shipped data)
missions     one mission by id, closing it, the mission that receives letters in a host
coverage     `embassies coverage`: every UN member state's mission in a host, and its channels
gaps         `embassies gaps`: the missions that lack a channel, the states written to first
editing      `embassies edit`: changes and verified fields
export       the directory as CSV
pooling      verified corrections that travel between caseworkers (export --verified-only, merge)
provenance   where each fact came from, and contacts not checked for too long
wikidata     asking the Wikidata Query Service; wikidata_labels: its labels as plea's values
refresh      merging what Wikidata says now into the directory (`embassies refresh`)
"""
