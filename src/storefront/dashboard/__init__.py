"""The operator dashboard: server-rendered pages behind the admin token, kept in a signed cookie."""
