"""Before the sweep starts: which trials run (the plan), what each asks of the cluster, and whether every node sees the storage."""
