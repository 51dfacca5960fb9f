"""supervision's contract: the plain constants shared by ``domain/`` and the published ``schemas``
(the gateway imports the schemas, so they import these and never the domain)."""

CHECK_AREAS = ("activity", "funds", "rules", "premises")          # what an inspection checked
RATINGS = ("good", "fair", "poor")                                # an inspection's rating (好/一般/差)
NARRATIVE_SECTIONS = ("overview", "highlights", "problems", "plans")
SUMMARY_STATES = ("draft", "submitted")
SUMMARY_STATUSES = ("on_time", "late", "missing", "draft", "not_started")   # the city's view
REPORT_KINDS = ("agreement", "plan", "results")
