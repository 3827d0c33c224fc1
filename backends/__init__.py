"""Lightning backends: the simulated network (sim) and Core Lightning."""
