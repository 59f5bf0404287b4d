"""Messages to people: an outbox in the database, delivered by SMTP when configured."""
