"""Who may do what: API keys (stored hashed, scoped by role, school and LA), the principal a
request acts as, and the FastAPI dependencies that enforce it."""
