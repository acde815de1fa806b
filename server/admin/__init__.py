"""Service functions behind `samizdat admin …`.

One module per job; the click shell in `server.admin_cli` only parses
options, asks for confirmation and prints. The journalist app calls the
enrolment and password functions here too, so none of them prints, prompts or
reads the terminal.
"""
