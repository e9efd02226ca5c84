"""The conversation, channel-free: text in, replies out. Never imports a chat platform library."""
