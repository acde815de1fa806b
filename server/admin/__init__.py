"""Service functions behind `samizdat admin …`.

One module per job; the click shell (`server.admin_cli` and the `cli_*` modules) only parses
options, asks for confirmation and prints. The journalist app calls the
enrolment and password functions here too, so none of them prints, prompts or
reads the terminal.
"""
