"""The composition root: the settings read from the Lambda environment, the adapters built from them
once per container (`wiring`), and the clock the workflow reads the time from."""
