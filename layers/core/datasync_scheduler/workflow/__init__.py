"""The workflows' steps, one module per phase, and the state contract they read and return (`state`).

A step is called by a thin Lambda handler with its ports: it reads the state it is given, talks to
AWS only through the ports (`datasync_scheduler.ports`), delegates every decision to the domain and
returns the JSON the state machine continues with.
"""
