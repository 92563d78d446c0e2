"""What a finished sweep shows: the leaderboard and the search report."""
