"""Promoting a sweep's best trial: registering its model and pointing an alias at it, behind guards."""
