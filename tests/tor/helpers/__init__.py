"""Small programs the tor tests run inside the network namespace."""
