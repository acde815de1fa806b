"""Web pieces shared by the source and journalist apps (security headers)."""
