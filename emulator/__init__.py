"""Local AWS for the DataSync scheduler: a DataSync emulator, a virtual clock, Lambda routing and
a runner that executes the real state machines with moto's Step Functions interpreter."""
