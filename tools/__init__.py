"""Tools on top of the product, never imported by it: the simulator, the benchmark suite and the
synthetic schools register. They plug their commands into `rollwatch` through entry points."""
