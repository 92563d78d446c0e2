"""The TrainerCallbacks a trial adds to its trainer, a file each, named after its class: the guards that end a trial
(collapse, a non-finite loss, a trial that learns nothing), the evaluation reporter, the report at each save, the skipped final save, the phase
timer; and the user's own callbacks, loaded by name."""
