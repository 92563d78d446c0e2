"""Running a prepared sweep on Ray Tune: the cluster, the Tuner, and the driver's callbacks (progress, stops, Train runs, kept models)."""
