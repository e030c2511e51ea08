"""The operator's command line (`datasync-scheduler`): the demo on the local emulator, starting and
watching runs, run history, and reading failed files out of DataSync's logs. Not shipped to Lambda."""
