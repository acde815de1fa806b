"""Database: engine set-up and the table definitions.

SQL lives in repository modules of each feature; routes never see tables.
The DB never holds plaintext, an IP, a user agent or a precise time of a
source's action: days ("YYYY-MM-DD") at most.
"""
