"""The permitting domain, pure (stdlib + pandas): schedules, rules, history, edits, imports."""
