"""Running the project: partitions, the local run launcher, the config file, where results are."""
