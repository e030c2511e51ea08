"""What people get: a run's or a batch's one message, and its renderings for email, Slack and Chatbot.

Pure like the domain (no AWS SDK, no I/O). The domain decides; these modules only say it, and each
rendering escapes untrusted text for its own medium.
"""
